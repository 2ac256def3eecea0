import { isIP } from 'node:net';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .refine((v) => v === 'memory:' || /^postgres(ql)?:\/\//.test(v), 'must be postgres://… or memory:')
    .optional(),
  DATABASE_READ_URL: z
    .string()
    .refine(
      (v) => /^postgres(ql)?:\/\//.test(v),
      'must be postgres://… (a streaming replica of DATABASE_URL)',
    )
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SEED_DEMO: bool.optional(),
  RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(600),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUTH_ISSUER: z.string().min(1).default('reserve-dev'),
  AUTH_AUDIENCE: z.string().min(1).default('reserve-api'),
  BODY_LIMIT: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(24).default(24),
  TRUST_PROXY: z
    .string()
    .transform((v, ctx): TrustProxy => {
      if (v === 'true' || v === 'false') return v === 'true';
      const entries = v.split(',').map((entry) => entry.trim());
      if (entries.every(isAddressOrRange)) return entries;
      ctx.addIssue({
        code: 'custom',
        message: 'must be true, false or proxy addresses/CIDRs (10.0.0.1,10.1.0.0/16)',
      });
      return z.NEVER;
    })
    .default(false),
});

/** Fastify's `trustProxy`: whether (or which proxy addresses) may tell the client address and protocol. */
export type TrustProxy = boolean | string[];

function isAddressOrRange(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

export type DatabaseConfig =
  | { kind: 'postgres'; url: string; poolMax: number }
  | { kind: 'pglite'; dataDir: string | null };

/** A PostgreSQL streaming replica of the primary, for the auditors' reads (`db/replica.ts`). */
export interface ReadReplicaConfig {
  url: string;
  poolMax: number;
}

export interface AuthConfig {
  /** HS256 secret; in embedded mode it may be generated at start (see `secrets.ts`). */
  jwtSecret: string | null;
  jwksUrl: string | null;
  issuer: string;
  audience: string;
}

export interface Config {
  database: DatabaseConfig;
  /**
   * Where the audit log and ledger reads run (list, exports, verify) when not on the primary: null
   * means on the primary, as every other read and every write.
   */
  readReplica: ReadReplicaConfig | null;
  dataDir: string;
  host: string;
  port: number;
  seedDemo: boolean;
  rateLimitMax: number;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  auth: AuthConfig;
  bodyLimit: number;
  idempotencyTtlHours: number;
  /**
   * Which reverse proxies are believed about the client's address and protocol (X-Forwarded-For,
   * X-Forwarded-Proto); decides `request.ip` and `request.protocol`, so HSTS is sent only over TLS.
   */
  trustProxy: TrustProxy;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The only reader of the environment. Throws a ConfigError whose message is one line per bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset", as in most shells' `VAR= command`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const database: DatabaseConfig =
    e.DATABASE_URL === undefined
      ? { kind: 'pglite', dataDir: e.DATA_DIR }
      : e.DATABASE_URL === 'memory:'
        ? { kind: 'pglite', dataDir: null }
        : { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DB_POOL_MAX };
  if (e.DATABASE_READ_URL && database.kind === 'pglite') {
    throw new ConfigError(
      'invalid configuration: DATABASE_READ_URL needs a PostgreSQL DATABASE_URL (the embedded database has no replicas)',
    );
  }
  if (e.AUTH_JWT_SECRET && e.AUTH_JWKS_URL) {
    throw new ConfigError('invalid configuration: AUTH_JWT_SECRET and AUTH_JWKS_URL are exclusive; set one');
  }
  if (database.kind === 'postgres' && !e.AUTH_JWT_SECRET && !e.AUTH_JWKS_URL) {
    throw new ConfigError(
      'invalid configuration: AUTH_JWT_SECRET (or AUTH_JWKS_URL) is required with a PostgreSQL DATABASE_URL',
    );
  }
  return {
    database,
    readReplica: e.DATABASE_READ_URL ? { url: e.DATABASE_READ_URL, poolMax: e.DB_POOL_MAX } : null,
    dataDir: e.DATA_DIR,
    host: e.HOST,
    port: e.PORT,
    seedDemo: e.SEED_DEMO ?? database.kind === 'pglite',
    rateLimitMax: e.RATE_LIMIT_MAX,
    logLevel: e.LOG_LEVEL,
    auth: {
      jwtSecret: e.AUTH_JWT_SECRET ?? null,
      jwksUrl: e.AUTH_JWKS_URL ?? null,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
    },
    bodyLimit: e.BODY_LIMIT,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    trustProxy: e.TRUST_PROXY,
  };
}
