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

  const seen = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const row = (field: string) => ['candles', String(i), field];
    const t = c.time[i]!;
    if (!Number.isFinite(t)) {
      add(row('time'), 'is not a valid time');
    } else {
      const first = seen.get(t);
      if (first !== undefined) add(row('time'), `duplicates the time of candle ${first} (${new Date(t).toISOString()})`);
      else seen.set(t, i);
      if (typeof base !== 'string' && bucketStart(base, t) !== t) {
        add(row('time'), `${new Date(t).toISOString()} is not aligned to the ${base.name} grid (expected ${new Date(bucketStart(base, t)).toISOString()})`);
      }
    }
    let pricesOk = true;
    for (const field of ['open', 'high', 'low', 'close'] as const) {
      const v = c[field][i]!;
      if (!Number.isFinite(v)) {
        add(row(field), 'must be a finite number');
        pricesOk = false;
      } else if (v < 0) {
        add(row(field), 'must not be negative');
        pricesOk = false;
      }
    }
    const volume = c.volume[i]!;
    if (!Number.isFinite(volume)) add(row('volume'), 'must be a finite number');
    else if (volume < 0) add(row('volume'), 'must not be negative');
    if (pricesOk) {
      const o = c.open[i]!;
      const cl = c.close[i]!;
      if (c.high[i]! < Math.max(o, cl)) add(row('high'), `${c.high[i]} is below max(open, close) = ${Math.max(o, cl)}`);
      if (c.low[i]! > Math.min(o, cl)) add(row('low'), `${c.low[i]} is above min(open, close) = ${Math.min(o, cl)}`);
    }
  }
  if (omitted > 0) issues.push({ path: ['candles'], message: `…and ${omitted} more problems` });
  return issues;
}
