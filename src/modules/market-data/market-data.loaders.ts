import type { Database } from '../../db/pool.js';
import { INTERVALS, type IntervalName } from '../../lib/intervals.js';
import { findCoverage, findLatestCandles, findMarketSummaries, type CoverageRow, type MarketSummaryRow } from './candle.store.js';
import type { CandleRow } from './candle.types.js';

/**
 * DataLoader batch functions: one SQL statement for every instrument of a request, results
 * in the order of the keys (null where an instrument has no candles yet).
 */
export async function loadLatestCandles(db: Database, ids: readonly number[]): Promise<Array<CandleRow | null>> {
  const found = await findLatestCandles(db.pool, ids);
  return ids.map((id) => found.get(id) ?? null);
}

export async function loadMarketSummaries(db: Database, ids: readonly number[]): Promise<Array<MarketSummaryRow | null>> {
  const rows = await findMarketSummaries(db.pool, ids);
  const byId = new Map(rows.map((r) => [r.instrumentId, r]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Key of a coverage load: the instrument and its base interval (the step gaps are measured in). */
export interface CoverageKey {
  id: number;
  baseInterval: string;
}

export async function loadCoverage(db: Database, keys: readonly CoverageKey[]): Promise<CoverageRow[]> {
  const found = await findCoverage(
    db.pool,
    keys.map((k) => ({ id: k.id, stepMs: INTERVALS[k.baseInterval as IntervalName].ms! })),
  );
  return keys.map((k) => found.get(k.id) ?? { instrumentId: k.id, firstMs: null, lastMs: null, present: 0, gaps: [] });
}
