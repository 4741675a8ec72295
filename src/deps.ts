import type { Config } from './config/env.js';
import type { Services } from './context.js';
import { resolveDatabase, type ResolvedDatabase } from './db/connect.js';
import { detectDialect, type Dialect } from './db/dialect.js';
import type { EmbeddedDatabase } from './db/embedded.js';
import { ChangeFeed } from './db/change-feed.js';
import { createDatabase, type Database } from './db/pool.js';
import { assertSchemaCurrent, prepareDatabase } from './db/prepare.js';
import { createPrisma, type PrismaClient } from './db/prisma.js';
import { createInProcessPubSub, createRedisPubSub, type PubSub } from './events/pubsub.js';
import { BullMqQueue } from './jobs/bullmq.queue.js';
import { InProcessQueue } from './jobs/in-process.queue.js';
import { whenQueueIdle, type JobQueue } from './jobs/queue.js';
import type { Logger } from './lib/logger.js';
import { AccountsRepository } from './modules/accounts/accounts.repository.js';
import { AccountsService } from './modules/accounts/accounts.service.js';
import { API_KEY_CHANNEL, KeyCache } from './modules/accounts/key-cache.js';
import { BacktestEventsService } from './modules/backtests/backtest-events.service.js';
import { BacktestRunService } from './modules/backtests/backtest-runs.service.js';
import type { BacktestTopics } from './modules/backtests/backtests.events.js';
import { BacktestsRepository } from './modules/backtests/backtests.repository.js';
import { BacktestsService } from './modules/backtests/backtests.service.js';
import { BacktestsStore } from './modules/backtests/backtests.store.js';
import { InstrumentRepository } from './modules/market-data/instrument.repository.js';
import { CandleCache } from './modules/market-data/candle-cache.js';
import { MarketDataService, type MarketDataTopics } from './modules/market-data/market-data.service.js';
import { createRedisBinaryStore, type BinaryStore } from './cache/redis-binary-store.js';
import { createRateLimiter, type RateLimiter } from './limits/rate-limiter.js';
import { StrategiesRepository } from './modules/strategies/strategies.repository.js';
import { StrategiesService } from './modules/strategies/strategies.service.js';
import { SystemService } from './modules/system/system.service.js';
import { createEnginePool, type EngineRunner } from './threads/engine-pool.js';

/** Every topic published in quantql (one map per module, merged here). */
export type Topics = BacktestTopics & MarketDataTopics;

/** What this process does, as far as building it differs. */
export interface ProcessRole {
  /** It consumes backtest jobs (a worker; the API in embedded mode): it keeps candles in memory. */
  runsBacktests: boolean;
}

/** The clients of a process: connections and pools, each constructed here and nowhere else. */
export interface Clients {
  db: Database;
  prisma: PrismaClient;
  dialect: Dialect;
  pubsub: PubSub<Topics>;
  queue: JobQueue;
  /** Engine threads; started on the first backtest this process runs. */
  engine: EngineRunner;
  /** The caches' second level (Redis), when configured. */
  cacheStore: BinaryStore | null;
  /** Changes to API keys (LISTEN); connects on the first authentication, so only API processes open it. */
  apiKeyChanges: ChangeFeed;
  /** Backtest submissions per API key (Redis-backed when configured). */
  submissionLimiter: RateLimiter;
  /** The embedded server when this process uses one. */
  embedded: EmbeddedDatabase | null;
}

/** A process's composition: config, logger, clients and the services built on them. */
export interface Runtime extends Clients {
  config: Config;
  logger: Logger;
  services: Services;
  /** Closes every client, and stops the embedded server if this process started it. */
  close(): Promise<void>;
}

/**
 * Finds the database (DATABASE_URL, or the embedded server: found running, or started) and
 * builds the runtime on it. `prepare: true` — `npm start` with DATABASE_MIGRATE_ON_START —
 * first applies migrations and the retention policy; every other process (workers,
 * commands) only checks the schema is current: no race with a deployment's migration, no
 * DDL rights needed, and a schema behind the code stops it with the fix.
 * @throws MigrationError (pending or failed migrations), EmbeddedDatabaseError.
 */
export async function openRuntime(config: Config, logger: Logger, options: { prepare: boolean } & Partial<ProcessRole>): Promise<Runtime> {
  const log = (message: string) => logger.info(message);
  const database = await resolveDatabase(config.database, log);
  try {
    if (options.prepare) await prepareDatabase(database.url, config.database, log);
    else await assertSchemaCurrent(database.url);
  } catch (error) {
    if (database.embedded?.owned) await database.embedded.stop().catch(() => undefined);
    throw error;
  }
  const runtime = await createRuntime(config, logger, database, { runsBacktests: options.runsBacktests ?? false });
  // Prisma 7 loads and compiles its query compiler (WebAssembly) on the first query: ≈ 270 ms
  // here. Paid at start, not by the first request or by a fresh worker's first batch.
  await runtime.prisma.instrument.findFirst({ select: { id: true } }).catch(() => undefined);
  return runtime;
}

/**
 * The composition root: connects to a prepared database (see db/prepare.ts), builds the
 * clients and every service on them. No migrations or DDL here: workers, commands and API
 * replicas all connect through this, and only `npm start` / `npm run db:migrate` prepare.
 * Takes over `database`: closing the runtime (or a failure here) stops an embedded server
 * this process started.
 */
export async function createRuntime(config: Config, logger: Logger, database: ResolvedDatabase, role: ProcessRole = { runsBacktests: true }): Promise<Runtime> {
  const db = createDatabase({ url: database.url, max: config.database.poolMax, statementTimeoutMs: config.database.statementTimeoutMs });
  let dialect: Dialect;
  try {
    dialect = await detectDialect(db.pool);
  } catch (error) {
    await db.pool.end().catch(() => undefined);
    if (database.embedded?.owned) await database.embedded.stop().catch(() => undefined);
    throw error;
  }
  // Nothing below connects or can fail: clients connect lazily (Redis, BullMQ, Prisma, threads).
  const onPublishError = (error: unknown, channel: string) => logger.warn({ err: error, channel }, 'event not published');
  const clients: Clients = {
    db,
    dialect,
    prisma: createPrisma(db.pool),
    pubsub: config.redis ? createRedisPubSub<Topics>(config.redis.url, config.redis.keyPrefix, onPublishError) : createInProcessPubSub<Topics>(onPublishError),
    queue: config.redis ? new BullMqQueue(config.redis.url, config.redis.keyPrefix, { stalledIntervalMs: config.worker.stalledIntervalMs }) : new InProcessQueue(),
    engine: createEnginePool(config.worker.concurrency, { lazy: true }),
    cacheStore: config.redis ? createRedisBinaryStore(config.redis.url, config.redis.keyPrefix) : null,
    apiKeyChanges: new ChangeFeed({ url: database.url, channel: API_KEY_CHANNEL, logger }),
    submissionLimiter: createRateLimiter({ name: 'rate:submissions', points: config.backtest.submissionsPerMinute, windowSeconds: 60, redis: config.redis }),
    embedded: database.embedded,
  };
  const services = createServices(config, logger, clients, role);
  return {
    ...clients,
    config,
    logger,
    services,
    async close() {
      await services.marketData.close();
      await clients.queue.close().catch(() => undefined);
      await clients.engine.close().catch(() => undefined);
      await clients.cacheStore?.close();
      await clients.apiKeyChanges.close();
      await clients.submissionLimiter.close();
      await clients.pubsub.close();
      await clients.prisma.$disconnect().catch(() => undefined);
      await db.pool.end().catch(() => undefined);
      if (database.embedded?.owned) await database.embedded.stop();
    },
  };
}

function createServices(config: Config, logger: Logger, clients: Clients, role: ProcessRole): Services {
  const keyCacheTtlMs = config.auth.keyCacheTtlMs;
  const accounts = new AccountsService(
    new AccountsRepository(clients.prisma),
    keyCacheTtlMs > 0 ? new KeyCache(clients.apiKeyChanges, { ttlMs: keyCacheTtlMs }) : null,
  );
  const strategies = new StrategiesService(new StrategiesRepository(clients.prisma));
  const marketData = new MarketDataService({
    db: clients.db,
    instruments: new InstrumentRepository(clients.prisma),
    // The in-process level only where backtests run; every process shares the Redis level.
    cache: new CandleCache({ l1MaxBytes: role.runsBacktests ? config.cache.l1MaxBytes : 0, l2: clients.cacheStore, logger }),
    pubsub: clients.pubsub,
    dialect: clients.dialect,
    logger,
    config: config.market,
    // Idle: this process's engine threads, and no job queued or running in any process (a
    // batch's chunks run on every worker: the copy to Redis waits for the whole batch).
    engine: role.runsBacktests ? { whenIdle: async (signal) => (await clients.engine.whenIdle()) || (await whenQueueIdle(clients.queue, { signal })) } : undefined,
    peerFill: config.cache.peerFill,
  });
  const repository = new BacktestsRepository(clients.prisma);
  const store = new BacktestsStore(clients.db);
  const backtestRuns = new BacktestRunService({
    repository,
    store,
    db: clients.db,
    candles: marketData,
    engine: clients.engine,
    pubsub: clients.pubsub,
    queue: clients.queue,
    logger,
  });
  const backtests = new BacktestsService({ repository, store, runs: backtestRuns, strategies, marketData, queue: clients.queue, submissions: clients.submissionLimiter, logger, config: config.backtest });
  const backtestEvents = new BacktestEventsService({ repository, pubsub: clients.pubsub });
  const system = new SystemService({ config, dialect: clients.dialect, queue: clients.queue, db: clients.db });
  return { accounts, strategies, marketData, backtests, backtestRuns, backtestEvents, system };
}
