import type { Config } from './config/env.js';
import { resolveDatabaseUrl, migrateDatabase } from './db/connect.js';
import { detectDialect, type Dialect } from './db/dialect.js';
import type { EmbeddedDatabase } from './db/embedded.js';
import { createDatabase, type Database } from './db/pool.js';
import { createPrisma, type PrismaClient } from './db/prisma.js';
import { applyRetentionPolicy } from './db/retention.js';
import { createInProcessPubSubAdapter, createRedisPubSubAdapter, type PubSub } from './graphql/pubsub.js';
import { BullMqQueue } from './jobs/bullmq.queue.js';
import { InProcessQueue } from './jobs/in-process.queue.js';
import type { JobQueue } from './jobs/queue.js';
import type { Logger } from './lib/logger.js';
import { createAccountsRepository, type AccountsRepository } from './modules/accounts/accounts.repository.js';

/** What resolvers and services may use; lives in every request context. */
export interface Services {
  config: Config;
  logger: Logger;
  db: Database;
  prisma: PrismaClient;
  dialect: Dialect;
  pubsub: PubSub;
  accounts: AccountsRepository;
  queue: JobQueue;
}

export interface Deps extends Services {
  embedded: EmbeddedDatabase | null;
  /** Closes every connection, and stops the embedded server if this process started it. */
  close(): Promise<void>;
}

/**
 * The only place that constructs clients: database (embedded or DATABASE_URL), migrations,
 * the shared pg pool, Prisma on that pool, pub/sub (Redis or in-process).
 */
export async function createDeps(config: Config, logger: Logger): Promise<Deps> {
  const log = (message: string) => logger.info(message);
  const { url, embedded } = await resolveDatabaseUrl(config, log);
  try {
    if (config.DATABASE_MIGRATE_ON_START) {
      const { applied } = await migrateDatabase(url, config, log);
      if (applied.length === 0) logger.debug('database schema is up to date');
    }
    const db = createDatabase({
      url,
      max: config.DATABASE_POOL_MAX,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    });
    const dialect = await detectDialect(db.pool);
    const retention = await applyRetentionPolicy(db.pool, dialect, config.DATABASE_RETENTION);
    if (retention === 'ignored' && config.DATABASE_RETENTION) {
      logger.warn('DATABASE_RETENTION is ignored: candle is not a TimescaleDB hypertable');
    }
    const prisma = createPrisma(db.pool);
    const pubsub = config.REDIS_URL
      ? createRedisPubSubAdapter(config.REDIS_URL, config.REDIS_KEY_PREFIX)
      : createInProcessPubSubAdapter();
    const queue: JobQueue = config.REDIS_URL
      ? new BullMqQueue(config.REDIS_URL, config.REDIS_KEY_PREFIX, { stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS })
      : new InProcessQueue();

    return {
      config,
      logger,
      db,
      prisma,
      dialect,
      pubsub,
      embedded,
      accounts: createAccountsRepository(prisma),
      queue,
      async close() {
        await queue.close().catch(() => undefined);
        await pubsub.close();
        await prisma.$disconnect().catch(() => undefined);
        await db.pool.end().catch(() => undefined);
        if (embedded?.owned) await embedded.stop();
      },
    };
  } catch (error) {
    if (embedded?.owned) await embedded.stop().catch(() => undefined);
    throw error;
  }
}
