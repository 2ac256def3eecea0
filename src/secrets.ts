import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';

export interface ResolvedSecret {
  /** HS256 secret, or null when tokens are verified against a JWKS. */
  secret: string | null;
  /** True when the service made the secret itself (development mode): start-up then prints tokens. */
  generated: boolean;
}

export const secretFile = (dataDir: string) => join(dataDir, 'jwt-secret');

/**
 * The configured HS256 secret; in embedded mode without one, a random secret generated on first start
 * and kept in `DATA_DIR/jwt-secret` (mode 0600) so tokens survive restarts. A throw-away `memory:`
 * database gets a throw-away secret.
 */
export function resolveJwtSecret(config: Config): ResolvedSecret {
  if (config.auth.jwtSecret) return { secret: config.auth.jwtSecret, generated: false };
  if (config.auth.jwksUrl) return { secret: null, generated: false };
  if (config.database.kind !== 'pglite') {
    throw new Error('AUTH_JWT_SECRET or AUTH_JWKS_URL is required with PostgreSQL');
  }
  if (config.database.dataDir === null)
    return { secret: randomBytes(32).toString('base64url'), generated: true };
  const file = secretFile(config.dataDir);
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), generated: true };
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secret, generated: true };
}
