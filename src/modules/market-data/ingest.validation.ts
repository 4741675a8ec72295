import { INTERVALS, isIntervalName, type IntervalSpec } from '../../lib/intervals.js';
import type { ValidationIssue } from '../../lib/errors.js';
import { bucketStart } from '../../lib/time-bucket.js';
import type { CandleColumns } from './candle.types.js';

/** Symbols: upper-case letters, digits and . - _ / : (e.g. BTCUSDT, BRK.B, EUR/USD), ≤ 32 characters. */
export const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9.\-_/:]{0,31}$/;
/** Listing more would drown the message; the count of the rest is reported. */
export const MAX_LISTED_ISSUES = 100;

/** Base intervals candles may be stored at: fixed lengths up to a week (coverage needs a fixed step). */
export function validateBaseInterval(value: string): IntervalSpec | string {
  if (!isIntervalName(value)) return `must be one of ${Object.keys(INTERVALS).join(', ')}`;
  const spec = INTERVALS[value];
  if (spec.ms === null) return 'must be a fixed-length interval (1m … 1w); store monthly data at 1d or 1w';
  return spec;
}

/**
 * Every problem with an ingest request, by row: non-finite or negative prices, high below
 * max(open, close), low above min(open, close), negative volume, duplicate times, times not
 * on the base interval's grid, a base interval that disagrees with the stored instrument.
 * Pure; nothing is written when the list is non-empty.
 */
export function validateIngest(input: {
  symbol: string;
  baseInterval: string;
  candles: CandleColumns;
  existingBaseInterval: string | null;
  maxCandles: number | null;
}): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  let omitted = 0;
  const add = (path: string[], message: string) => {
    if (issues.length < MAX_LISTED_ISSUES) issues.push({ path, message });
    else omitted += 1;
  };

  if (!SYMBOL_PATTERN.test(input.symbol)) {
    add(['symbol'], 'must be 1-32 characters: upper-case letters, digits and . - _ / : (starting with a letter or digit)');
  }
  const base = validateBaseInterval(input.baseInterval);
  if (typeof base === 'string') add(['baseInterval'], base);
  if (input.existingBaseInterval !== null && input.existingBaseInterval !== input.baseInterval) {
    add(['baseInterval'], `${input.symbol} is stored at ${input.existingBaseInterval}; candles at ${input.baseInterval} cannot be mixed in`);
  }
  const c = input.candles;
  const n = c.time.length;
  if (n === 0) add(['candles'], 'must contain at least one candle');
  if (input.maxCandles !== null && n > input.maxCandles) {
    add(['candles'], `at most ${input.maxCandles} candles per request (got ${n}); split the upload or use the CSV import`);
  }

  // Strictly increasing times (the usual upload) cannot hold duplicates: the index of
  // first occurrences is only built when the order says a duplicate is possible.
  let increasing = true;
  for (let i = 1; i < n && increasing; i++) increasing = c.time[i - 1]! < c.time[i]!;
  const seen = increasing ? null : new Map<number, number>();
  const row = (i: number, field: string) => ['candles', String(i), field];
  const prices = [c.open, c.high, c.low, c.close] as const;
  const priceNames = ['open', 'high', 'low', 'close'] as const;
  // Hot loop over up to millions of rows (CSV import): plain comparisons first, messages
  // only for rows that fail them.
  for (let i = 0; i < n; i++) {
    const t = c.time[i]!;
    if (!Number.isFinite(t)) {
      add(row(i, 'time'), 'is not a valid time');
    } else {
      if (seen) {
        const first = seen.get(t);
        if (first !== undefined) add(row(i, 'time'), `duplicates the time of candle ${first} (${new Date(t).toISOString()})`);
        else seen.set(t, i);
      }
      if (typeof base !== 'string' && bucketStart(base, t) !== t) {
        add(row(i, 'time'), `${new Date(t).toISOString()} is not aligned to the ${base.name} grid (expected ${new Date(bucketStart(base, t)).toISOString()})`);
      }
    }
    const o = c.open[i]!;
    const h = c.high[i]!;
    const l = c.low[i]!;
    const cl = c.close[i]!;
    const volume = c.volume[i]!;
    // NaN fails every comparison, so `>= 0` also rejects it; ±Infinity is caught by the bound.
    const pricesOk = o >= 0 && h >= 0 && l >= 0 && cl >= 0 && o < Infinity && h < Infinity && l < Infinity && cl < Infinity;
    if (!pricesOk) {
      for (let f = 0; f < 4; f++) {
        const v = prices[f][i]!;
        if (!Number.isFinite(v)) add(row(i, priceNames[f]), 'must be a finite number');
        else if (v < 0) add(row(i, priceNames[f]), 'must not be negative');
      }
    }
    if (!(volume >= 0 && volume < Infinity)) {
      add(row(i, 'volume'), Number.isFinite(volume) ? 'must not be negative' : 'must be a finite number');
    }
    if (pricesOk) {
      if (h < Math.max(o, cl)) add(row(i, 'high'), `${h} is below max(open, close) = ${Math.max(o, cl)}`);
      if (l > Math.min(o, cl)) add(row(i, 'low'), `${l} is above min(open, close) = ${Math.min(o, cl)}`);
    }
  }
  if (omitted > 0) issues.push({ path: ['candles'], message: `…and ${omitted} more problems` });
  return issues;
}
