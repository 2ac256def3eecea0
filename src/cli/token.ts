import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { ROLES, type Role } from '../domain/actor.js';
import { signToken } from '../http/auth.js';
import { resolveJwtSecret } from '../secrets.js';

/** npm run token -- --role admin|auditor|company [--company ID] [--sub NAME] [--ttl 1h] */
const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main() {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      company: { type: 'string' },
      sub: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
    },
  });
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
  if (role === 'company' && !values.company) fail('--company <companyId> is required for --role company');
  const ttl = /^(\d+)([smhd])$/.exec(values.ttl ?? '1h');
  if (!ttl) fail('--ttl must look like 30m, 1h or 7d');
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    fail(error instanceof ConfigError ? error.message : String(error));
  }
  if (config.database.kind === 'pglite' && config.database.dataDir === null && !config.auth.jwtSecret) {
    fail('a memory: database has a throw-away secret; set AUTH_JWT_SECRET to sign tokens for it');
  }
  const { secret } = resolveJwtSecret(config);
  if (!secret) fail('tokens are verified against AUTH_JWKS_URL; sign them with your identity provider');
  const token = await signToken(config.auth, secret, {
    role,
    companyId: values.company,
    sub: values.sub,
    ttlSeconds: Number(ttl[1]) * units[ttl[2]!]!,
  });
  process.stdout.write(`${token}\n`);
}

void main();
