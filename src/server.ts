import { buildApp } from './app.js';
import { seedDemo } from './cli/seed-demo.js';
import { ConfigError, loadConfig } from './config.js';
import { createDatabase } from './db/client.js';
import { lockDataDirOrExit } from './db/data-dir-lock.js';
import { openReadReplica } from './db/replica.js';
import { systemClock } from './domain/clock.js';
import { signToken } from './http/auth.js';
import { resolveJwtSecret } from './secrets.js';

/** How long in-flight requests may finish after SIGTERM before their connections are closed. */
const DRAIN_GRACE_MS = 5_000;

/** loadConfig → createDatabase → buildApp → listen; drains and closes on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // One process per embedded DATA_DIR (released on exit); exits 2 naming the other process.
  const dataDirLock = lockDataDirOrExit(config.database);
  const { secret, generated } = resolveJwtSecret(config);
  const database = await createDatabase(config.database);
  // Connects lazily: a replica that is down only fails the reads placed on it (503).
  const readReplica = config.readReplica ? openReadReplica(config.readReplica) : undefined;
  const app = await buildApp({ config, database, readReplica, clock: systemClock, jwtSecret: secret });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'draining in-flight requests');
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    // Requests get a grace period; a download still streaming after it (a stalled export reader) is
    // cut, so a stop is clean (exit 0) instead of waiting for the forced exit.
    const cut = setTimeout(() => app.server.closeAllConnections(), DRAIN_GRACE_MS);
    cut.unref();
    try {
      await app.close();
      await Promise.all([database.close(), readReplica?.close()]);
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  if (config.seedDemo) {
    const seeded = await seedDemo(app.services);
    if (seeded) app.log.info(seeded, 'demo data loaded');
  }
  const address = await app.listen({ host: config.host, port: config.port });
  dataDirLock?.publish(address);
  const lines = [
    '',
    `  Strategic Mineral Reserve API listening on ${address}`,
    `  Docs:    ${address}/docs   (OpenAPI: ${address}/openapi.json)`,
  ];
  if (generated && secret) {
    const company = (
      await app.services.companies.list({ sub: 'system', role: 'admin', companyId: null }, { limit: 1 })
    ).data[0];
    const ttlSeconds = 12 * 3600;
    lines.push('', '  Development tokens (valid 12 h; more with `npm run token -- --role admin`):');
    lines.push(`  admin:   ${await signToken(config.auth, secret, { role: 'admin', ttlSeconds })}`);
    lines.push(`  auditor: ${await signToken(config.auth, secret, { role: 'auditor', ttlSeconds })}`);
    if (company) {
      const token = await signToken(config.auth, secret, {
        role: 'company',
        companyId: company.id,
        ttlSeconds,
      });
      lines.push(`  company (${company.name}): ${token}`);
    }
    lines.push('', `  Try: curl -H "Authorization: Bearer <admin token>" ${address}/v1/inventory`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

main().catch((error) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
