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

/**
 * The whole buckets inside [fromMs, toMs): `from` moved up to a bucket start, `to` down to one.
 * Empty (from ≥ to) when no whole bucket fits. Backtests read this range, so no bar they see
 * is a bucket cut by the range (an hourly bar "from 00:30" would hold 30 minutes).
 */
export function wholeBuckets(spec: IntervalSpec, fromMs: number, toMs: number): { fromMs: number; toMs: number } {
  const start = bucketStart(spec, fromMs) === fromMs ? fromMs : nextBucketStart(spec, fromMs);
  return { fromMs: start, toMs: bucketStart(spec, toMs) };
}

/** Does the bucket starting at `startMs` reach outside [fromMs, toMs)? */
export function isCutBucket(spec: IntervalSpec, startMs: number, fromMs: number, toMs: number): boolean {
  return startMs < fromMs || nextBucketStart(spec, startMs) > toMs;
}
