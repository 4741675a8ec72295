import type { ValidationIssue } from '../../lib/errors.js';
import { INTERVALS, INTERVAL_NAMES, isIntervalName, type IntervalSpec } from '../../lib/intervals.js';
import { bucketStart } from '../../lib/time-bucket.js';
import type { CandleSource } from './candle-columns.js';

/**
 * Planning a candle read, without touching the database: which interval a request is served
 * at (maxPoints may widen it) and which relation serves it exactly — the coarsest of
 * candle_1d, candle_1h and the raw candles whose resolution divides the interval.
 */

const DAY_MS = INTERVALS['1d'].ms!;
const HOUR_MS = INTERVALS['1h'].ms!;

export interface CandlePlan {
  /** Effective interval (the requested one, or wider to fit maxPoints). */
  interval: IntervalSpec;
  source: CandleSource;
  /** false: the source rows are already at `interval` and are read as they are. */
  regroup: boolean;
}

/** A plan, or every reason there is none. */
export type CandlePlanResult = { ok: true; plan: CandlePlan } | { ok: false; issues: ValidationIssue[] };

export interface CandleReadRequest {
  interval: string;
  fromMs: number;
  /** Exclusive. */
  toMs: number;
  /** At most this many buckets: the interval is widened until the series fits. null: no widening. */
  maxPoints: number | null;
  /**
   * false when the instrument's candle_1h / candle_1d lag its data (TimescaleDB between an
   * ingest and the aggregates' refresh): only the raw bars serve it then. Default true.
   */
  aggregatesFresh?: boolean;
}

/** Does a bucket of `outer` always consist of whole buckets of the fixed width `innerMs`? */
function divides(innerMs: number, outer: IntervalSpec): boolean {
  return outer.months > 0 ? DAY_MS % innerMs === 0 : outer.ms! % innerMs === 0;
}

/**
 * Can candles of `base` be read from the derived table of width `aggregateMs`? Only when it
 * is strictly coarser and made of whole base bars: at the base interval itself the raw
 * table is the source of truth and no cheaper. Ingest maintains candle_1h only where this holds.
 */
export function readsAggregate(aggregate: 'candle_1h' | 'candle_1d', base: IntervalSpec): boolean {
  const aggregateMs = aggregate === 'candle_1h' ? HOUR_MS : DAY_MS;
  return aggregateMs > base.ms! && aggregateMs % base.ms! === 0;
}

/** Number of `spec` buckets overlapping [fromMs, toMs). */
export function countBuckets(spec: IntervalSpec, fromMs: number, toMs: number): number {
  const first = bucketStart(spec, fromMs);
  if (spec.months > 0) {
    const a = new Date(first);
    const b = new Date(bucketStart(spec, toMs - 1));
    return ((b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth())) / spec.months + 1;
  }
  return Math.ceil((toMs - first) / spec.ms!);
}

/**
 * The range limit (MARKET_MAX_RANGE_BARS): a read may span at most `maxBars` rows of the
 * relation that serves it — what the database reads, whatever the interval shown. An issue,
 * or null when the range is within it.
 */
export function rangeLengthIssue(stored: IntervalSpec, fromMs: number, toMs: number, maxBars: number): ValidationIssue | null {
  const bars = countBuckets(stored, fromMs, toMs);
  if (bars <= maxBars) return null;
  return {
    path: ['from'],
    message: `the range spans ${bars} stored ${stored.name} bars; one request may read at most ${maxBars} (MARKET_MAX_RANGE_BARS): shorten the range or split it`,
  };
}

/** The interval of the rows a source holds (raw: the instrument's base interval). */
export function sourceSpec(source: CandleSource, base: IntervalSpec): IntervalSpec {
  return source === 'candle_1d' ? INTERVALS['1d'] : source === 'candle_1h' ? INTERVALS['1h'] : base;
}

const invalid = (...issues: ValidationIssue[]): CandlePlanResult => ({ ok: false, issues });

/**
 * Plans a read of candles stored at `base`: the effective interval (widened until at most
 * maxPoints buckets) and the coarsest source that serves it exactly — candle_1d or
 * candle_1h when their resolution divides the interval, is coarser than the base interval
 * and the range is aligned to it (and they are fresh); otherwise the raw candles. `cap` bounds the points of any
 * read (MARKET_CANDLES_MAX_POINTS; backtests pass no cap).
 */
export function planCandleRead(base: IntervalSpec, request: CandleReadRequest, cap = Number.POSITIVE_INFINITY): CandlePlanResult {
  const issues: ValidationIssue[] = [];
  const { fromMs, toMs, maxPoints } = request;
  if (!isIntervalName(request.interval)) issues.push({ path: ['interval'], message: `must be one of ${INTERVAL_NAMES.join(', ')}` });
  if (!Number.isFinite(fromMs)) issues.push({ path: ['from'], message: 'is not a valid time' });
  if (!Number.isFinite(toMs)) issues.push({ path: ['to'], message: 'is not a valid time' });
  if (Number.isFinite(fromMs) && Number.isFinite(toMs) && fromMs >= toMs) {
    issues.push({ path: ['to'], message: 'must be after from (from is inclusive, to exclusive)' });
  }
  if (maxPoints !== null && (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > cap)) {
    issues.push({ path: ['maxPoints'], message: Number.isFinite(cap) ? `must be a whole number from 1 to ${cap}` : 'must be a positive whole number' });
  }
  if (issues.length) return invalid(...issues);
  const requested = INTERVALS[request.interval as keyof typeof INTERVALS];
  const usable = (spec: IntervalSpec) => (spec.months > 0 ? DAY_MS % base.ms! === 0 : spec.ms! >= base.ms! && spec.ms! % base.ms! === 0);
  if (!usable(requested)) {
    const finer = requested.ms !== null && requested.ms < base.ms!;
    return invalid({
      path: ['interval'],
      message: finer ? `${requested.name} is finer than the instrument's base interval ${base.name}` : `${requested.name} is not a whole number of ${base.name} bars`,
    });
  }
  let interval = requested;
  if (maxPoints !== null && countBuckets(interval, fromMs, toMs) > maxPoints) {
    const wider = INTERVAL_NAMES.slice(INTERVAL_NAMES.indexOf(requested.name) + 1)
      .map((name) => INTERVALS[name])
      .filter(usable);
    const fit = wider.find((spec) => countBuckets(spec, fromMs, toMs) <= maxPoints);
    if (!fit) return invalid({ path: ['maxPoints'], message: `even the widest interval gives more than ${maxPoints} points for this range; narrow the range` });
    interval = fit;
  }
  const points = countBuckets(interval, fromMs, toMs);
  if (points > cap) {
    return invalid({
      path: ['maxPoints'],
      message: `${points} points at ${interval.name} exceed the limit of ${cap}; pass maxPoints, a wider interval or a shorter range`,
    });
  }
  const aligned = (ms: number) => fromMs % ms === 0 && toMs % ms === 0;
  for (const [source, ms] of [['candle_1d', DAY_MS], ['candle_1h', HOUR_MS]] as const) {
    if (request.aggregatesFresh !== false && readsAggregate(source, base) && divides(ms, interval) && aligned(ms)) {
      return { ok: true, plan: { interval, source, regroup: interval.ms !== ms } };
    }
  }
  return { ok: true, plan: { interval, source: 'raw', regroup: interval.ms !== base.ms } };
}
