import { availableParallelism } from 'node:os';
import { z } from 'zod';

/**
 * The only reader of process.env. Every variable is validated at start; a bad configuration
 * fails fast with one message listing every problem (ConfigError). The result is grouped by
 * concern (`database`, `redis`, `worker`, `graphql`, `market`, `backtest`, …) and each part
 * of the program is handed only its slice.
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
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  LOG_SLOW_OPERATION_MS: int(0, 3_600_000).default(1_000),
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
  RATE_LIMIT_SUBMISSIONS_PER_MINUTE: int(0, 1_000_000).default(120),

  AUTH_ANONYMOUS_READ: bool.optional(),
  AUTH_KEY_CACHE_SECONDS: int(0, 3_600).default(60),
  METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),

  MARKET_CANDLES_MAX_POINTS: int(10, 1_000_000).default(10_000),
  MARKET_INGEST_MAX_CANDLES: int(1, 1_000_000).default(50_000),
  MARKET_MAX_RANGE_BARS: int(1, 1_000_000_000).default(5_000_000),
  MARKET_SEED_DEMO_DATA: bool.optional(),

  CACHE_L1_MAX_MB: int(0, 1_000_000).default(512),
  CACHE_WARM_INSTRUMENTS: int(0, 10_000).default(20),
  CACHE_PEER_FILL: bool.default(true),

  GRAPHQL_MAX_DEPTH: int(1, 100).default(12),
  GRAPHQL_MAX_COST: int(1, 1_000_000).default(20_000),
  GRAPHQL_MAX_ALIASES: int(1, 1000).default(30),
  GRAPHQL_MAX_TOKENS: int(1, 1_000_000).default(5_000),
  GRAPHQL_MAX_PAGE_SIZE: int(1, 10_000).default(500),
  GRAPHQL_MAX_CANDLE_POINTS: int(1, 100_000_000).default(100_000),
  GRAPHQL_MAX_STATEMENTS: int(1, 1_000_000).default(200),
  GRAPHQL_MAX_CONNECTIONS_PER_REQUEST: int(1, 500).default(2),
  GRAPHQL_STATEMENT_TIMEOUT_MS: int(1, 3_600_000).default(10_000),
  GRAPHQL_MAX_BODY_BYTES: int(1_024, 1_073_741_824).default(8 * 2 ** 20),
  GRAPHQL_GRAPHIQL: bool.optional(),
  GRAPHQL_PERSISTED_ONLY: bool.default(false),
});

type Env = z.infer<typeof envSchema>;

/** Where the database is and how sessions use it (DATABASE_*). */
export interface DatabaseConfig {
  /** DATABASE_URL; null: the embedded PostgreSQL is used (DESIGN.md §1). */
  url: string | null;
  embedded: boolean;
  embeddedDir: string;
  /** 0 picks a free port. */
  embeddedPort: number;
  poolMax: number;
  statementTimeoutMs: number;
  timescaledb: 'auto' | 'on' | 'off';
  migrateOnStart: boolean;
  /** e.g. "5 years"; null keeps every candle. */
  retention: string | null;
}

/** REDIS_*: null when REDIS_URL is unset (in-process queue and pub/sub). */
export interface RedisConfig {
  url: string;
  /** Prefix of every key and channel, so deployments can share one Redis. */
  keyPrefix: string;
}

export interface WorkerConfig {
  /** Jobs at once per worker process, and its engine threads. */
  concurrency: number;
  /** How often BullMQ looks for jobs of dead workers. */
  stalledIntervalMs: number;
}

export interface GraphqlConfig {
  graphiql: boolean;
  /** Production hides field suggestions in validation errors. */
  hideSuggestions: boolean;
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxTokens: number;
  /** Largest `first` a connection accepts (over it is an error, never a silent truncation). */
  maxPageSize: number;
  /** Candle and equity points one operation may ask for, summed over all its fields. */
  maxCandlePoints: number;
  /** SQL statements one query may run. */
  maxStatements: number;
  /** Database connections one query may hold at once (the pool is shared by every client). */
  maxConnectionsPerRequest: number;
  /** How long one SQL statement of a query may run. */
  statementTimeoutMs: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Only the operations of examples/ (by hash) run. */
  persistedOnly: boolean;
}

export interface MarketConfig {
  candlesMaxPoints: number;
  ingestMaxCandles: number;
  /** Stored bars one candle read or backtest may span (its range over the stored interval). */
  maxRangeBars: number;
  seedDemoData: boolean;
}

export interface BacktestConfig {
  maxBatchSymbols: number;
  /** runBacktest + runBacktestBatch calls per API key per minute (0: unlimited). */
  submissionsPerMinute: number;
}

/** The candle cache (CACHE_*); its second level is Redis when REDIS_URL is set. */
export interface CacheConfig {
  /** In-process level, in bytes, for processes that run backtests (0: off). */
  l1MaxBytes: number;
  /** Instruments whose popular ranges a process that runs backtests caches on start (0: none). */
  warmInstruments: number;
  /** Copy ranges other processes read from the database into this process's L1 while it is idle (with Redis). */
  peerFill: boolean;
}

export interface Config {
  env: Env['NODE_ENV'];
  /** Bearer token /metrics requires; null: open (protect it at the proxy). */
  metrics: { token: string | null };
  log: {
    level: Env['LOG_LEVEL'];
    /** auto: readable lines when stdout is a terminal, JSON otherwise. */
    format: Env['LOG_FORMAT'];
    /** Operations slower than this are logged at warn (0: never). */
    slowOperationMs: number;
  };
  http: { host: string; port: number; shutdownTimeoutMs: number };
  database: DatabaseConfig;
  redis: RedisConfig | null;
  worker: WorkerConfig;
  auth: {
    anonymousRead: boolean;
    /** How long an authenticated key is trusted without reading it again; 0 reads it on every request. */
    keyCacheTtlMs: number;
  };
  graphql: GraphqlConfig;
  market: MarketConfig;
  backtest: BacktestConfig;
  cache: CacheConfig;
  queueMode: 'bullmq' | 'in-process';
  pubsubMode: 'redis' | 'in-process';
}

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
  defaults: { availableCores?: number } = { availableCores: availableParallelism() },
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
  const redis = env.REDIS_URL ? { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX } : null;
  return {
    env: env.NODE_ENV,
    metrics: { token: env.METRICS_TOKEN ?? null },
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT, slowOperationMs: env.LOG_SLOW_OPERATION_MS },
    http: { host: env.HOST, port: env.PORT, shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS },
    database: {
      url: env.DATABASE_URL ?? null,
      embedded,
      embeddedDir: env.DATABASE_EMBEDDED_DIR,
      embeddedPort: env.DATABASE_EMBEDDED_PORT,
      poolMax: env.DATABASE_POOL_MAX,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      timescaledb: env.DATABASE_TIMESCALEDB,
      migrateOnStart: env.DATABASE_MIGRATE_ON_START,
      retention: env.DATABASE_RETENTION ?? null,
    },
    redis,
    worker: {
      concurrency: env.WORKER_CONCURRENCY ?? Math.max(1, defaults.availableCores ?? 1),
      stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
    },
    auth: { anonymousRead: env.AUTH_ANONYMOUS_READ ?? embedded, keyCacheTtlMs: env.AUTH_KEY_CACHE_SECONDS * 1000 },
    graphql: {
      graphiql: env.GRAPHQL_GRAPHIQL ?? env.NODE_ENV !== 'production',
      hideSuggestions: env.NODE_ENV === 'production',
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxCost: env.GRAPHQL_MAX_COST,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      maxPageSize: env.GRAPHQL_MAX_PAGE_SIZE,
      maxCandlePoints: env.GRAPHQL_MAX_CANDLE_POINTS,
      maxStatements: env.GRAPHQL_MAX_STATEMENTS,
      maxConnectionsPerRequest: env.GRAPHQL_MAX_CONNECTIONS_PER_REQUEST,
      statementTimeoutMs: env.GRAPHQL_STATEMENT_TIMEOUT_MS,
      maxBodyBytes: env.GRAPHQL_MAX_BODY_BYTES,
      persistedOnly: env.GRAPHQL_PERSISTED_ONLY,
    },
    market: {
      candlesMaxPoints: env.MARKET_CANDLES_MAX_POINTS,
      ingestMaxCandles: env.MARKET_INGEST_MAX_CANDLES,
      maxRangeBars: env.MARKET_MAX_RANGE_BARS,
      seedDemoData: env.MARKET_SEED_DEMO_DATA ?? embedded,
    },
    backtest: { maxBatchSymbols: env.BACKTEST_MAX_BATCH_SYMBOLS, submissionsPerMinute: env.RATE_LIMIT_SUBMISSIONS_PER_MINUTE },
    cache: { l1MaxBytes: env.CACHE_L1_MAX_MB * 2 ** 20, warmInstruments: env.CACHE_WARM_INSTRUMENTS, peerFill: env.CACHE_PEER_FILL },
    queueMode: redis ? 'bullmq' : 'in-process',
    pubsubMode: redis ? 'redis' : 'in-process',
  };
}
