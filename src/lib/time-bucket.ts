import type { IntervalSpec } from './intervals.js';

/** TimescaleDB's default origin for fixed-width buckets: Monday 2000-01-03 00:00 UTC. */
const FIXED_ORIGIN_MS = Date.UTC(2000, 0, 3);

/**
 * Start of the bucket containing `timeMs`, as time_bucket(interval, timestamptz) computes it
 * in the database (both dialects): fixed widths aligned on 2000-01-03 UTC, month widths
 * calendar-aligned on 2000-01-01 UTC.
 */
export function bucketStart(spec: IntervalSpec, timeMs: number): number {
  if (spec.months > 0) {
    const d = new Date(timeMs);
    const months = (d.getUTCFullYear() - 2000) * 12 + d.getUTCMonth();
    const bucket = Math.floor(months / spec.months) * spec.months;
    return Date.UTC(2000, bucket, 1);
  }
  const width = spec.ms!;
  return timeMs - ((((timeMs - FIXED_ORIGIN_MS) % width) + width) % width);
}

/** Start of the bucket after the one containing `timeMs`. */
export function nextBucketStart(spec: IntervalSpec, timeMs: number): number {
  const start = bucketStart(spec, timeMs);
  if (spec.months > 0) {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + spec.months, 1);
  }
  return start + spec.ms!;
}
