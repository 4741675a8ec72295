import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureEmbedded } from '../../src/db/embedded.js';
import { createMigratedDatabase, dropDatabase, serverHasTimescale, withDatabase } from './test-databases.js';
import type { EmbeddedDatabase } from '../../src/db/embedded.js';
import { rm } from 'node:fs/promises';

/**
 * Prepares the databases every test file shares (each test isolates itself with fresh
 * owners and symbols):
 *  - DATABASE_URL set (CI's services path): fresh databases on that server — one migrated
 *    with TimescaleDB when the server has it, one forced portable;
 *  - otherwise: a throw-away embedded PostgreSQL (plain PostgreSQL, portable dialect).
 * The URLs reach the test workers through the environment.
 */
export async function setupDatabases(): Promise<void> {
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = await mkdtemp(join(tmpdir(), 'quantql-test-pg-'));
    const embedded = await ensureEmbedded({ dataDir });
    (globalThis as Record<string, unknown>).__quantqlEmbedded = embedded;
    adminUrl = withDatabase(embedded.url, 'postgres');
  }
  const timescale = await serverHasTimescale(adminUrl);
  const main = `quantql_test_${suffix}`;
  const portable = `quantql_test_${suffix}_portable`;
  process.env.TEST_ADMIN_DATABASE_URL = adminUrl;
  process.env.TEST_DATABASE_URL = await createMigratedDatabase(adminUrl, main, 'auto');
  process.env.TEST_PORTABLE_DATABASE_URL = timescale
    ? await createMigratedDatabase(adminUrl, portable, 'off')
    : process.env.TEST_DATABASE_URL;
  process.env.TEST_DATABASE_NAMES = timescale ? `${main},${portable}` : main;
  process.env.TEST_TIMESCALEDB = timescale ? '1' : '0';

  const path = process.env.DATABASE_URL ? 'DATABASE_URL server' : 'embedded PostgreSQL';
  const redis = process.env.REDIS_URL ? `Redis at ${process.env.REDIS_URL}` : 'no Redis (Redis-backed tests are skipped)';
  console.log(
    `\n[quantql tests] database: ${path}, dialect ${timescale ? 'TimescaleDB (+ portable comparison database)' : 'portable PostgreSQL'}; ${redis}\n`,
  );
}

export async function teardownDatabases(): Promise<void> {
  const adminUrl = process.env.TEST_ADMIN_DATABASE_URL;
  const embedded = (globalThis as Record<string, unknown>).__quantqlEmbedded as EmbeddedDatabase | undefined;
  if (embedded) {
    await embedded.stop();
    await rm(embedded.dataDir, { recursive: true, force: true });
    return;
  }
  if (adminUrl) {
    for (const name of (process.env.TEST_DATABASE_NAMES ?? '').split(',').filter(Boolean)) {
      await dropDatabase(adminUrl, name).catch(() => undefined);
    }
  }
}
