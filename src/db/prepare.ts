import pg from 'pg';
import { detectDialect } from './dialect.js';
import { findPendingMigrations, migrate, MigrationError, type MigrateResult } from './migrate.js';
import { applyRetentionPolicy } from './retention.js';

export interface PrepareOptions {
  /** Passed to the migrations (DATABASE_TIMESCALEDB). */
  timescaledb: 'auto' | 'on' | 'off';
  /** DATABASE_RETENTION, e.g. "5 years"; null keeps everything. */
  retention: string | null;
}

export interface PrepareResult extends MigrateResult {
  retention: 'applied' | 'removed' | 'ignored';
}

/**
 * Brings a database to the schema this code expects: pending migrations, then the retention
 * policy (DDL). Run by `npm start` and `npm run db:migrate` only — never by workers or
 * commands, which check the schema instead (assertSchemaCurrent) and so never race a
 * deployment's migration or need DDL rights.
 */
export async function prepareDatabase(url: string, options: PrepareOptions, log: (message: string) => void): Promise<PrepareResult> {
  const migrated = await migrate({ url, timescaledb: options.timescaledb, log });
  const pool = new pg.Pool({ connectionString: url, max: 1, options: '-c TimeZone=UTC' });
  try {
    const retention = await applyRetentionPolicy(pool, await detectDialect(pool), options.retention);
    if (retention === 'ignored' && options.retention) log('DATABASE_RETENTION is ignored: candle is not a TimescaleDB hypertable');
    return { ...migrated, retention };
  } finally {
    await pool.end();
  }
}

/**
 * Fails with a clear instruction when the database lacks migrations this code needs.
 * @throws MigrationError naming the pending migrations.
 */
export async function assertSchemaCurrent(url: string): Promise<void> {
  const pending = await findPendingMigrations(url);
  if (pending.length) {
    throw new MigrationError(
      `the database schema is not up to date (${pending.length} pending: ${pending.join(', ')}); run \`npm run db:migrate\`, or start the API (\`npm start\`), which migrates on start`,
    );
  }
}
