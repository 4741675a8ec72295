import { INTERVALS, type IntervalName } from '../../lib/intervals.js';
import type { CoverageRow } from './candle.store.js';

export interface Gap {
  /** First missing bar (inclusive). */
  from: Date;
  /** The next stored bar (exclusive end of the hole). */
  to: Date;
  missingBars: number;
}

export interface Coverage {
  baseInterval: string;
  firstTime: Date | null;
  lastTime: Date | null;
  /** Bars a continuous series would have from the first to the last bar, both included. */
  expectedBars: number;
  presentBars: number;
  missingBars: number;
  gaps: Gap[];
}

/**
 * The rule: a series is expected to have a bar at every step of its base interval between
 * its first and last bar (calendar time, 24/7). Markets that close — weekends and holidays
 * of a daily stock series, nights of an intraday one — therefore show up as gaps; filter
 * them with `gaps(minMissing:)` (e.g. 3 hides a daily series' weekends).
 */
export function toCoverage(row: CoverageRow, baseInterval: string): Coverage {
  const step = INTERVALS[baseInterval as IntervalName].ms!;
  const expected = row.firstMs === null || row.lastMs === null ? 0 : Math.round((row.lastMs - row.firstMs) / step) + 1;
  return {
    baseInterval,
    firstTime: row.firstMs === null ? null : new Date(row.firstMs),
    lastTime: row.lastMs === null ? null : new Date(row.lastMs),
    expectedBars: expected,
    presentBars: row.present,
    missingBars: expected - row.present,
    gaps: row.gaps.map(([prev, next]) => ({
      from: new Date(prev + step),
      to: new Date(next),
      missingBars: Math.round((next - prev) / step) - 1,
    })),
  };
}
