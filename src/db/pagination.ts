import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import { validation } from '../domain/errors.js';

/**
 * Opaque keyset cursors over creation order `(created_at, id)`: stable under inserts, and a page
 * costs one index range scan however deep the client pages.
 */
export interface CreationCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: CreationCursor): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const malformed = () => validation('cursor', 'is malformed; pass back a nextCursor exactly as received');

export function decodeCursor(cursor: string | undefined): CreationCursor | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(String(at));
    const year = createdAt.getUTCFullYear();
    if (
      typeof at === 'string' &&
      typeof id === 'string' &&
      !Number.isNaN(createdAt.getTime()) &&
      // Only instants PostgreSQL and ISO 8601 print plainly; `+275760-…` would fail in the query.
      year >= 1 &&
      year <= 9999 &&
      /^[A-Za-z0-9_-]{1,64}$/.test(id)
    ) {
      return { createdAt, id };
    }
  } catch {
    // fall through: any undecodable cursor is the same client error
  }
  throw malformed();
}

/**
 * The keyset condition "after this cursor". The cursor's id must fit the id column (a UUID for uuid
 * ids, a code otherwise): compared against a uuid column, anything else would fail in the database.
 */
export function afterCursor(
  createdAt: AnyColumn,
  id: AnyColumn,
  cursor: CreationCursor | undefined,
): SQL | undefined {
  const values = cursorValues(id, cursor);
  if (!values) return undefined;
  return sql`(${createdAt}, ${id}) > (${values.afterAt}::timestamptz, ${values.afterId})`;
}

/**
 * `afterCursor` for a statement rendered once (src/db/prepared.ts): the cursor's values are the
 * placeholders `afterAt` and `afterId`, which `cursorValues` fills.
 */
export function afterCursorPlaceholders(createdAt: AnyColumn, id: AnyColumn): SQL {
  return sql`(${createdAt}, ${id}) > (${sql.placeholder('afterAt')}::timestamptz, ${sql.placeholder('afterId')})`;
}

export function cursorValues(
  id: AnyColumn,
  cursor: CreationCursor | undefined,
): { afterAt: string; afterId: string } | undefined {
  if (!cursor) return undefined;
  if (id.getSQLType() === 'uuid' && !UUID.test(cursor.id)) throw malformed();
  return { afterAt: cursor.createdAt.toISOString(), afterId: cursor.id };
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Callers fetch `limit + 1` rows; the extra one only tells whether there is a next page. */
export function toPage<R extends CreationCursor, T>(rows: R[], limit: number, view: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { data: pageRows.map(view), nextCursor: hasMore && last ? encodeCursor(last) : null };
}
