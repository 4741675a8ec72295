import type pg from 'pg';
import type { Dialect } from '../../db/dialect.js';
import { INTERVALS, type IntervalSpec } from '../../lib/intervals.js';
import { bucketStart, nextBucketStart } from '../../lib/time-bucket.js';
import { readsAggregate } from './candle-plan.js';
import { recomputeDerivedCandles, refreshContinuousAggregate } from './candle.store.js';

/** The hour and day buckets an ingest touched, bucket-aligned; candle_1h is kept only where it is read. */
export interface TouchedWindow {
  hour: { from: number; to: number };
  day: { from: number; to: number };
  /** candle_1h is maintained for this base interval (finer than an hour, dividing it). */
  keepsHourly: boolean;
}

export function touchedWindow(base: IntervalSpec, minTimeMs: number, maxTimeMs: number): TouchedWindow {
  return {
    hour: { from: bucketStart(INTERVALS['1h'], minTimeMs), to: nextBucketStart(INTERVALS['1h'], maxTimeMs) },
    day: { from: bucketStart(INTERVALS['1d'], minTimeMs), to: nextBucketStart(INTERVALS['1d'], maxTimeMs) },
    // Hourly and daily uploads skip candle_1h, which is never read for them: with hourly bars
    // it would copy every row, and on TimescaleDB its refresh re-aggregates every instrument
    // in the window. (candle_1d is kept for all: the market summary reads it.)
    keepsHourly: readsAggregate('candle_1h', base),
  };
}

/** The smallest window covering all of `windows` (one refresh after several ingests). */
export function unionWindow(windows: readonly TouchedWindow[]): TouchedWindow {
  const span = (pick: (w: TouchedWindow) => { from: number; to: number }) => ({
    from: Math.min(...windows.map((w) => pick(w).from)),
    to: Math.max(...windows.map((w) => pick(w).to)),
  });
  return { hour: span((w) => w.hour), day: span((w) => w.day), keepsHourly: windows.some((w) => w.keepsHourly) };
}

/**
 * Keeping candle_1h and candle_1d up to date after an ingest changed candles. One
 * implementation per dialect, chosen once: the ingest calls it and does not branch.
 */
export interface DerivedCandleUpkeep {
  /**
   * 'fresh': inTransaction recomputes them, so they follow the ingest atomically (portable).
   * 'behind': they are left behind and refreshed later for many ingests at once (TimescaleDB;
   * see aggregate-refresh.ts); reads use the raw bars meanwhile.
   */
  readonly afterIngest: 'fresh' | 'behind';
  /** Inside the ingest transaction, under the instrument's lock. */
  inTransaction(client: pg.PoolClient, instrumentId: number, window: TouchedWindow): Promise<void>;
}

/**
 * Portable dialect: candle_1h and candle_1d are tables, recomputed for the touched buckets of
 * the one instrument in the ingest's own transaction (readers never see them disagree).
 * candle_1d is computed from candle_1h when that is kept (24× fewer rows than minute bars).
 */
const portableUpkeep: DerivedCandleUpkeep = {
  afterIngest: 'fresh',
  async inTransaction(client, instrumentId, window) {
    if (window.keepsHourly) await recomputeDerivedCandles(client, instrumentId, 'candle_1h', 'raw', window.hour.from, window.hour.to);
    await recomputeDerivedCandles(client, instrumentId, 'candle_1d', window.keepsHourly ? 'candle_1h' : 'raw', window.day.from, window.day.to);
  },
};

/**
 * TimescaleDB: continuous aggregates, which materialise a time window for every instrument
 * in it — refreshing after each ingest made a bulk load of many symbols quadratic. They are
 * refreshed after the commit, coalesced over many ingests (AggregateRefresher).
 */
const timescaleUpkeep: DerivedCandleUpkeep = {
  afterIngest: 'behind',
  async inTransaction() {},
};

export function derivedCandleUpkeep(dialect: Dialect): DerivedCandleUpkeep {
  return dialect.timescaledb ? timescaleUpkeep : portableUpkeep;
}

/**
 * TimescaleDB: materialises candle_1h / candle_1d over the union of the windows these
 * instruments changed (both read `candle`, neither depends on the other: side by side on two
 * connections). Must run outside a transaction.
 */
export async function refreshContinuousAggregates(pool: pg.Pool, dialect: Dialect, windows: readonly TouchedWindow[]): Promise<void> {
  if (windows.length === 0) return;
  const window = unionWindow(windows);
  await Promise.all([
    window.keepsHourly && refreshContinuousAggregate(pool, 'candle_1h', window.hour.from, window.hour.to, dialect.caggRefreshOptions),
    refreshContinuousAggregate(pool, 'candle_1d', window.day.from, window.day.to, dialect.caggRefreshOptions),
  ]);
}
