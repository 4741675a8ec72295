import type pg from 'pg';

/** What the connected database can do; decides nothing about queries, which are written once. */
export interface Dialect {
  /** `candle` is a TimescaleDB hypertable (continuous aggregates, compression). */
  timescaledb: boolean;
  timescaledbVersion: string | null;
  /**
   * refresh_continuous_aggregate takes an `options` argument (TimescaleDB ≥ 2.21), used to
   * refresh an ingest's window in one pass instead of TimescaleDB's default small batches.
   */
  caggRefreshOptions: boolean;
  /** e.g. "15.20" */
  serverVersion: string;
}

/** Reads the dialect of a migrated database. */
export async function detectDialect(pool: pg.Pool): Promise<Dialect> {
  const { rows } = await pool.query<{ server_version: string; ts_version: string | null }>(
    `/* detectDialect */
     SELECT current_setting('server_version') AS server_version,
            (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS ts_version`,
  );
  const { server_version: serverVersion, ts_version: tsVersion } = rows[0]!;
  let timescaledb = false;
  if (tsVersion) {
    // The extension can be installed while quantql's tables stay portable (DATABASE_TIMESCALEDB=off).
    const hypertable = await pool.query<{ found: boolean }>(
      `/* detectDialect */
       SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                      WHERE hypertable_schema = current_schema() AND hypertable_name = 'candle') AS found`,
    );
    timescaledb = hypertable.rows[0]!.found;
  }
  let caggRefreshOptions = false;
  if (timescaledb) {
    const refresh = await pool.query<{ found: boolean }>(
      `/* detectDialect */
       SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'refresh_continuous_aggregate'
                      AND 'options' = ANY (proargnames)) AS found`,
    );
    caggRefreshOptions = refresh.rows[0]!.found;
  }
  return {
    timescaledb,
    timescaledbVersion: timescaledb ? tsVersion : null,
    caggRefreshOptions,
    serverVersion: serverVersion.split(' ')[0]!,
  };
}
