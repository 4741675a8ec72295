import { z } from 'zod';

/**
 * The only reader of process.env. Every variable is validated at start; a bad configuration
 * fails fast with one message listing every problem (ConfigError).
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    message: 'expected true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const int = (min: number, max: number) =>
  z.coerce
    .number({ message: 'expected a whole number' })
    .int({ message: 'expected a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

const postgresUrl = z.string().refine((v) => /^postgres(ql)?:\/\//.test(v), {
  message: 'expected a postgres:// or postgresql:// URL',
});

const redisUrl = z.string().refine((v) => /^rediss?:\/\//.test(v), {
  message: 'expected a redis:// or rediss:// URL',
});

/** Every variable quantql reads, with its default. README.md documents each one. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),

  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: int(1, 500).default(10),
  DATABASE_TIMESCALEDB: z.enum(['auto', 'on', 'off']).default('auto'),
  DATABASE_MIGRATE_ON_START: bool.default(true),
  DATABASE_RETENTION: z
    .string()
    .regex(/^\d+\s*(days?|weeks?|months?|years?)$/, {
      message: 'expected an interval such as "90 days" or "5 years"',
    })
    .optional(),
  DATABASE_STATEMENT_TIMEOUT_MS: int(0, 3_600_000).default(30_000),
  DATABASE_EMBEDDED_DIR: z.string().min(1).default('.quantql/pg'),
  DATABASE_EMBEDDED_PORT: int(0, 65535).default(0),

  REDIS_URL: redisUrl.optional(),
  REDIS_KEY_PREFIX: z.string().min(1).default('quantql:'),

  WORKER_CONCURRENCY: int(1, 256).optional(),
  WORKER_STALLED_INTERVAL_MS: int(1_000, 600_000).default(5_000),
  BACKTEST_MAX_BATCH_SYMBOLS: int(1, 10_000).default(500),

  AUTH_ANONYMOUS_READ: bool.optional(),

  MARKET_CANDLES_MAX_POINTS: int(10, 1_000_000).default(10_000),
  MARKET_INGEST_MAX_CANDLES: int(1, 1_000_000).default(50_000),
  MARKET_SEED_DEMO_DATA: bool.optional(),

  GRAPHQL_MAX_DEPTH: int(1, 100).default(12),
  GRAPHQL_MAX_COST: int(1, 1_000_000).default(20_000),
  GRAPHQL_MAX_ALIASES: int(1, 1000).default(30),
  GRAPHQL_MAX_TOKENS: int(1, 1_000_000).default(5_000),
  GRAPHQL_MAX_PAGE_SIZE: int(1, 10_000).default(500),
  GRAPHQL_GRAPHIQL: bool.optional(),
});

export type Env = z.infer<typeof envSchema>;

export type Config = Env & {
  /** No DATABASE_URL: an embedded PostgreSQL is started (DESIGN.md §1). */
  embedded: boolean;
  authAnonymousRead: boolean;
  /** Fill an empty database with demo data at start (on by default in embedded mode). */
  seedDemoData: boolean;
  graphiql: boolean;
  workerConcurrency: number;
  queueMode: 'bullmq' | 'in-process';
  pubsubMode: 'redis' | 'in-process';
};

/** Thrown by loadConfig with every invalid variable, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Names of every variable the configuration accepts (docker-compose and docs are checked against it). */
export const configVariableNames = Object.keys(envSchema.shape);

/**
 * Reads and validates the configuration. Empty strings count as unset, so `FOO=` in a
 * compose file or .env behaves like an absent variable.
 */
export function loadConfig(
  source: Record<string, string | undefined> = process.env,
  defaults: { availableCores?: number } = {},
): Config {
  const input: Record<string, string> = {};
  for (const name of configVariableNames) {
    const value = source[name];
    if (value !== undefined && value.trim() !== '') input[name] = value.trim();
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '(config)');
        const shown = input[name] === undefined ? '' : ` (got "${input[name]}")`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const env = parsed.data;
  const embedded = env.DATABASE_URL === undefined;
  return {
    ...env,
    embedded,
    authAnonymousRead: env.AUTH_ANONYMOUS_READ ?? embedded,
    seedDemoData: env.MARKET_SEED_DEMO_DATA ?? embedded,
    graphiql: env.GRAPHQL_GRAPHIQL ?? env.NODE_ENV !== 'production',
    workerConcurrency: env.WORKER_CONCURRENCY ?? Math.max(1, defaults.availableCores ?? 1),
    queueMode: env.REDIS_URL ? 'bullmq' : 'in-process',
    pubsubMode: env.REDIS_URL ? 'redis' : 'in-process',
  };
}
