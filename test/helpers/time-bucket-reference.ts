import type { IntervalSpec } from '../../src/lib/intervals.js';

/**
 * An independent statement of TimescaleDB's time_bucket(interval, timestamptz) for the
 * widths quantql uses, from its documentation: fixed widths are aligned on the origin
 * 2000-01-03 00:00 UTC (a Monday); month widths are calendar buckets in UTC aligned on
 * 2000-01-01. Used to check both dialects, so neither is only compared with the other.
 */
const FIXED_ORIGIN_MS = Date.UTC(2000, 0, 3);

export function referenceTimeBucket(spec: IntervalSpec, timeMs: number): number {
  if (spec.months > 0) {
    const d = new Date(timeMs);
    const monthsSince2000 = (d.getUTCFullYear() - 2000) * 12 + d.getUTCMonth();
    const bucket = Math.floor(monthsSince2000 / spec.months) * spec.months;
    return Date.UTC(2000 + Math.floor(bucket / 12), ((bucket % 12) + 12) % 12, 1);
  }
  const width = spec.ms!;
  const offset = (((timeMs - FIXED_ORIGIN_MS) % width) + width) % width;
  return timeMs - offset;
}
