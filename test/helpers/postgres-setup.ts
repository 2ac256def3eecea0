import postgres from 'postgres';
import type { TestProject } from 'vitest/node';

export const adminUrl = () => process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAvailable: boolean;
  }
}

/** Tells the postgres project whether a server answers; without one its tests skip, saying so. */
export default async function setup(project: TestProject) {
  const sql = postgres(adminUrl(), { max: 1, connect_timeout: 3, onnotice: () => {} });
  let available = false;
  try {
    await sql`select 1`;
    available = true;
  } catch (error) {
    process.stdout.write(
      `\n[postgres] no PostgreSQL at ${adminUrl()} (${(error as Error).message}): PostgreSQL tests are SKIPPED\n\n`,
    );
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
  project.provide('postgresAvailable', available);
}
