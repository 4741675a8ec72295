import type pg from 'pg';

/** Raw SQL on `instrument` used inside the ingest transaction (same connection as the candle writes). */
type Queryable = Pick<pg.PoolClient, 'query'>;

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

/** Marks the instrument's data as changed: every cache key built from the old version misses. */
export async function bumpDataVersion(db: Queryable, instrumentId: number): Promise<string> {
  const { rows } = await db.query<{ data_version: string }>(
    `/* bumpDataVersion */
     UPDATE instrument SET data_version = data_version + 1, updated_at = now()
     WHERE id = $1 RETURNING data_version::text`,
    [instrumentId],
  );
  return rows[0]!.data_version;
}
