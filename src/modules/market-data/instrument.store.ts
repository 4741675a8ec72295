import type pg from 'pg';

/** Raw SQL on `instrument`: inside the ingest transaction (same connection as the candle writes), and the aggregates' freshness. */
type Queryable = Pick<pg.PoolClient | pg.Pool, 'query'>;

export interface LockedInstrument {
  id: number;
  symbol: string;
  baseInterval: string;
  dataVersion: string;
  created: boolean;
}

/**
 * Creates the instrument if needed and locks its row until the transaction ends, so
 * concurrent ingests of one symbol apply (and bump its data version) one after another.
 */
export async function lockInstrumentForIngest(
  db: Queryable,
  input: { symbol: string; name: string; baseInterval: string },
): Promise<LockedInstrument> {
  const inserted = await db.query<{ id: number }>(
    `/* lockInstrumentForIngest */
     INSERT INTO instrument (symbol, name, base_interval) VALUES ($1, $2, $3)
     ON CONFLICT (symbol) DO NOTHING RETURNING id`,
    [input.symbol, input.name, input.baseInterval],
  );
  const { rows } = await db.query<{ id: number; symbol: string; base_interval: string; data_version: string }>(
    `/* lockInstrumentForIngest */
     SELECT id, symbol, base_interval, data_version::text FROM instrument WHERE symbol = $1 FOR UPDATE`,
    [input.symbol],
  );
  const row = rows[0]!;
  return {
    id: row.id,
    symbol: row.symbol,
    baseInterval: row.base_interval,
    dataVersion: row.data_version,
    created: inserted.rowCount === 1,
  };
}

/**
 * Marks the instrument's data as changed: every cache key built from the old version misses.
 * Its derived candles either follow in the same transaction (`aggregates: 'fresh'`, the
 * portable dialect recomputed them) or fall behind until a refresh catches up, remembering
 * the span of bars [fromMs, toMs] that changed (TimescaleDB).
 */
export async function bumpDataVersion(
  db: Queryable,
  instrumentId: number,
  change: { aggregates: 'fresh' | 'behind'; fromMs: number; toMs: number },
): Promise<string> {
  const { rows } = await db.query<{ data_version: string }>(
    `/* bumpDataVersion */
     UPDATE instrument SET data_version = data_version + 1, updated_at = now(),
       aggregates_version = CASE WHEN $2 THEN data_version + 1 ELSE aggregates_version END,
       aggregates_refreshed_at = CASE WHEN $2 THEN now() ELSE aggregates_refreshed_at END,
       aggregates_stale_from = CASE WHEN $2 THEN NULL ELSE least(aggregates_stale_from, to_timestamp($3 / 1000.0)) END,
       aggregates_stale_to = CASE WHEN $2 THEN NULL ELSE greatest(aggregates_stale_to, to_timestamp($4 / 1000.0)) END
     WHERE id = $1 RETURNING data_version::text`,
    [instrumentId, change.aggregates === 'fresh', change.fromMs, change.toMs],
  );
  return rows[0]!.data_version;
}

/** An instrument whose derived candles are behind its data. */
export interface InstrumentBehind {
  id: number;
  baseInterval: string;
  dataVersion: string;
  /** The span of bars changed since the last refresh. */
  staleFromMs: number;
  staleToMs: number;
}

export async function findInstrumentsBehind(db: Queryable): Promise<InstrumentBehind[]> {
  const { rows } = await db.query<InstrumentBehind>(
    `/* findInstrumentsBehind */
     SELECT id, base_interval AS "baseInterval", data_version::text AS "dataVersion",
            (extract(epoch FROM aggregates_stale_from) * 1000)::float8 AS "staleFromMs",
            (extract(epoch FROM aggregates_stale_to) * 1000)::float8 AS "staleToMs"
     FROM instrument
     WHERE aggregates_version <> data_version AND aggregates_stale_from IS NOT NULL`,
  );
  return rows;
}

/**
 * Records that the derived candles reflect these data versions — only for instruments still
 * at them (one ingested meanwhile stays behind for the next refresh). Returns how many.
 */
export async function markAggregatesRefreshed(db: Queryable, instruments: ReadonlyArray<{ id: number; dataVersion: string }>): Promise<number> {
  const result = await db.query(
    `/* markAggregatesRefreshed */
     UPDATE instrument i SET aggregates_version = v.version, aggregates_stale_from = NULL, aggregates_stale_to = NULL,
            aggregates_refreshed_at = now()
     FROM unnest($1::int[], $2::bigint[]) AS v(id, version)
     WHERE i.id = v.id AND i.data_version = v.version`,
    [instruments.map((i) => i.id), instruments.map((i) => i.dataVersion)],
  );
  return result.rowCount ?? 0;
}
