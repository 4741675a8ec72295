import type { Candles } from '../../engine/index.js';
import { IssueList, type ValidationIssue } from '../../lib/errors.js';
import { INTERVALS, isIntervalName, type IntervalSpec } from '../../lib/intervals.js';
import { bucketStart } from '../../lib/time-bucket.js';

/** Symbols: upper-case letters, digits and . - _ / : (e.g. BTCUSDT, BRK.B, EUR/USD), ≤ 32 characters. */
export const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9.\-_/:]{0,31}$/;
/**
 * Bar times accepted: 1970-01-01 to 2100-01-01 (exclusive). A year-1000 or year-3000 bar is a
 * unit mistake (seconds for milliseconds, a bad date format), and one would make coverage
 * expect millions of bars between it and the rest of the series.
 */
export const EARLIEST_BAR_MS = Date.UTC(1970, 0, 1);
export const LATEST_BAR_MS = Date.UTC(2100, 0, 1);
/** Listing more would drown the message; the count of the rest is reported. */
export const MAX_LISTED_ISSUES = 100;

/** Base intervals candles may be stored at: fixed lengths up to a week (coverage needs a fixed step). */
export function validateBaseInterval(value: string): IntervalSpec | string {
  if (!isIntervalName(value)) return `must be one of ${Object.keys(INTERVALS).join(', ')}`;
  const spec = INTERVALS[value];
  if (spec.ms === null) return 'must be a fixed-length interval (1m … 1w); store monthly data at 1d or 1w';
  return spec;
}

export interface IngestRequest {
  symbol: string;
  baseInterval: string;
  /** Display name for a new instrument; null/undefined: the symbol. */
  name?: string | null;
  candles: Candles;
  /** Most candles one request may carry; null: no limit (the CSV import). */
  maxCandles: number | null;
  /** How a message names another row (e.g. "candle 3", or "line 4" for a CSV file). */
  rowLabel?: (row: number) => string;
}

/**
 * Every problem with an ingest request: the symbol, base interval and name; then by row:
 * times outside 1970–2099, non-finite, zero or negative prices (no market trades at 0: a
 * zero is a missing value, and returns from it are undefined), high below max(open, close), low above min(open, close),
 * negative volume, duplicate times, times not on the base interval's grid. Row issues carry
 * `row` and `field`. Pure; nothing is written when the list is non-empty. (Whether the base
 * interval matches an existing instrument is checked under the instrument's lock.)
 */
export function validateIngest(input: IngestRequest): ValidationIssue[] {
  const issues = new IssueList(MAX_LISTED_ISSUES, ['candles']);
  const rowLabel = input.rowLabel ?? ((row: number) => `candle ${row}`);

  if (!SYMBOL_PATTERN.test(input.symbol)) {
    issues.add({ path: ['symbol'], message: 'must be 1-32 characters: upper-case letters, digits and . - _ / : (starting with a letter or digit)' });
  }
  const base = validateBaseInterval(input.baseInterval);
  if (typeof base === 'string') issues.add({ path: ['baseInterval'], message: base });
  if (input.name !== undefined && input.name !== null && (input.name.trim() === '' || input.name.length > 200)) {
    issues.add({ path: ['name'], message: 'must be 1-200 characters' });
  }
  const c = input.candles;
  const n = c.time.length;
  if (n === 0) issues.add({ path: ['candles'], message: 'must contain at least one candle' });
  if (input.maxCandles !== null && n > input.maxCandles) {
    issues.add({ path: ['candles'], message: `at most ${input.maxCandles} candles per request (got ${n}); split the upload or use the CSV import` });
  }

  // Strictly increasing times (the usual upload) cannot hold duplicates: the index of
  // first occurrences is only built when the order says a duplicate is possible.
  let increasing = true;
  for (let i = 1; i < n && increasing; i++) increasing = c.time[i - 1]! < c.time[i]!;
  const seen = increasing ? null : new Map<number, number>();
  const add = (row: number, field: string, message: string) => issues.add({ path: ['candles', String(row), field], message, row, field });
  const prices = [c.open, c.high, c.low, c.close] as const;
  const priceNames = ['open', 'high', 'low', 'close'] as const;
  // Hot loop over up to millions of rows (CSV import): plain comparisons first, messages
  // only for rows that fail them.
  for (let i = 0; i < n; i++) {
    const t = c.time[i]!;
    if (!Number.isFinite(t)) {
      add(i, 'time', 'is not a valid time');
    } else if (t < EARLIEST_BAR_MS || t >= LATEST_BAR_MS) {
      add(i, 'time', `${new Date(t).toISOString()} is outside 1970-01-01 … 2099-12-31 (is the unit right: milliseconds or seconds?)`);
    } else {
      if (seen) {
        const first = seen.get(t);
        if (first !== undefined) add(i, 'time', `duplicates the time of ${rowLabel(first)} (${new Date(t).toISOString()})`);
        else seen.set(t, i);
      }
      if (typeof base !== 'string' && bucketStart(base, t) !== t) {
        add(i, 'time', `${new Date(t).toISOString()} is not aligned to the ${base.name} grid (expected ${new Date(bucketStart(base, t)).toISOString()})`);
      }
    }
    const o = c.open[i]!;
    const h = c.high[i]!;
    const l = c.low[i]!;
    const cl = c.close[i]!;
    const volume = c.volume[i]!;
    // NaN fails every comparison, so `> 0` also rejects it; ±Infinity is caught by the bound.
    const pricesOk = o > 0 && h > 0 && l > 0 && cl > 0 && o < Infinity && h < Infinity && l < Infinity && cl < Infinity;
    if (!pricesOk) {
      for (let f = 0; f < 4; f++) {
        const v = prices[f][i]!;
        if (!Number.isFinite(v)) add(i, priceNames[f], 'must be a finite number');
        else if (v <= 0) add(i, priceNames[f], 'must be greater than 0');
      }
    }
    if (!(volume >= 0 && volume < Infinity)) add(i, 'volume', Number.isFinite(volume) ? 'must not be negative' : 'must be a finite number');
    if (pricesOk) {
      if (h < Math.max(o, cl)) add(i, 'high', `${h} is below max(open, close) = ${Math.max(o, cl)}`);
      if (l > Math.min(o, cl)) add(i, 'low', `${l} is above min(open, close) = ${Math.min(o, cl)}`);
    }
  }
  return issues.toArray();
}
