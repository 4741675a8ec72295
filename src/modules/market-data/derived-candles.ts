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
 * implementation per dialect, chosen once: the ingest calls both steps and does not branch.
 */
export interface DerivedCandleUpkeep {
  /** Inside the ingest transaction, under the instrument's lock. */
  inTransaction(client: pg.PoolClient, instrumentId: number, window: TouchedWindow): Promise<void>;
  /** After the commit. */
  afterCommit(pool: pg.Pool, window: TouchedWindow): Promise<void>;
}

/**
 * Portable dialect: candle_1h and candle_1d are tables, recomputed for the touched buckets of
 * the one instrument in the ingest's own transaction (readers never see them disagree).
 * candle_1d is computed from candle_1h when that is kept (24× fewer rows than minute bars).
 */
const portableUpkeep: DerivedCandleUpkeep = {
  async inTransaction(client, instrumentId, window) {
    if (window.keepsHourly) await recomputeDerivedCandles(client, instrumentId, 'candle_1h', 'raw', window.hour.from, window.hour.to);
    await recomputeDerivedCandles(client, instrumentId, 'candle_1d', window.keepsHourly ? 'candle_1h' : 'raw', window.day.from, window.day.to);
  },
  async afterCommit() {},
};

/**
 * TimescaleDB: continuous aggregates, refreshed over the touched window after the commit
 * (TimescaleDB refuses a refresh inside a transaction). Both read `candle` and neither
 * depends on the other: refreshed side by side on two connections.
 */
function timescaleUpkeep(dialect: Dialect): DerivedCandleUpkeep {
  return {
    async inTransaction() {},
    async afterCommit(pool, window) {
      await Promise.all([
        window.keepsHourly && refreshContinuousAggregate(pool, 'candle_1h', window.hour.from, window.hour.to, dialect.caggRefreshOptions),
        refreshContinuousAggregate(pool, 'candle_1d', window.day.from, window.day.to, dialect.caggRefreshOptions),
      ]);
    },
  };
}

export function derivedCandleUpkeep(dialect: Dialect): DerivedCandleUpkeep {
  return dialect.timescaledb ? timescaleUpkeep(dialect) : portableUpkeep;
}
