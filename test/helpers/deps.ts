import { loadConfig, type Config } from '../../src/config/env.js';
import { createRuntime, type Runtime } from '../../src/deps.js';
import { createLogger } from '../../src/lib/logger.js';

const databaseName = (url: string | undefined) => (url ? new URL(url).pathname.slice(1) : 'none');

/** Config for the shared test database; overrides are env-style strings, as an operator would set them. */
function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    DATABASE_MIGRATE_ON_START: 'false',
    DATABASE_POOL_MAX: '4',
    CACHE_WARM_INSTRUMENTS: '0',
    REDIS_URL: process.env.REDIS_URL,
    // Each run's databases are new (instrument ids and data versions start again), and a run
    // has two (TimescaleDB and portable): Redis keys carry the database's name, so no run or
    // database finds another's cached candles.
    REDIS_KEY_PREFIX: `quantql-test:${databaseName(overrides.DATABASE_URL ?? process.env.TEST_DATABASE_URL)}:`,
    ...overrides,
  });
}

/**
 * A real runtime (pool, Prisma, pub/sub, queue, services) against the test database, which
 * the global setup migrated. Close it in afterAll.
 */
export async function createTestDeps(overrides: Record<string, string | undefined> = {}): Promise<Runtime> {
  const config = testConfig(overrides);
  return createRuntime(config, createLogger(config.log.level), { url: config.database.url!, embedded: null });
}

/** A unique name per call, so tests never see each other's rows. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`.toUpperCase();
}
