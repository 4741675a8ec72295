import type pg from 'pg';
import type { Dialect } from './dialect.js';

/**
 * Applies DATABASE_RETENTION to the candle hypertable: a TimescaleDB retention policy that
 * drops chunks older than the interval, or none when unset (the default: backtests want
 * history). Portable databases have no chunks to drop; the setting is reported as ignored.
 */
export async function applyRetentionPolicy(
  pool: pg.Pool,
  dialect: Dialect,
  retention: string | null,
): Promise<'applied' | 'removed' | 'ignored'> {
  if (!dialect.timescaledb) return 'ignored';
  await pool.query(`/* applyRetentionPolicy */ SELECT remove_retention_policy('candle', if_exists => true)`);
  if (!retention) return 'removed';
  await pool.query(`/* applyRetentionPolicy */ SELECT add_retention_policy('candle', drop_after => $1::interval)`, [
    retention,
  ]);
  return 'applied';
}
