import type { Candles, ValidationIssue } from './types.js';

const COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

/** A column of `Candles` whose values can be checked. */
export type CheckedColumn = 'time' | 'open' | 'high' | 'low' | 'close';

const ALL_CHECKED: readonly CheckedColumn[] = ['time', 'open', 'high', 'low', 'close'];

/**
 * Checks columnar candles. Always: all six columns are Float64Arrays of one length ≥ 1.
 * Then, for each column in `columns` (default: all but volume): `time` finite and strictly
 * increasing; prices finite and > 0. Only the first bad bar of each column is reported, so
 * a million bad rows cannot produce a million messages. Paths are `[column]` or
 * `[column, index]`.
 *
 * `runBacktest` checks only the structure up front and the values it uses as it goes
 * (time and close of every bar, open of every fill); call this on untrusted input to
 * check everything.
 */
export function validateCandles(candles: Candles, columns: readonly CheckedColumn[] = ALL_CHECKED): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const column of COLUMNS) {
    if (!(candles?.[column] instanceof Float64Array)) {
      issues.push({ path: [column], message: `${column} must be a Float64Array.` });
    }
  }
  if (issues.length > 0) return issues;
  const n = candles.time.length;
  if (n === 0) return [{ path: ['time'], message: 'At least one candle is required.' }];
  for (const column of COLUMNS) {
    if (candles[column].length !== n) {
      issues.push({ path: [column], message: `${column} has ${candles[column].length} values but time has ${n}.` });
    }
  }
  if (issues.length > 0) return issues;
  for (const column of columns) {
    const bad = column === 'time' ? firstBadTime(candles.time) : firstBadPrice(candles[column]);
    if (bad < 0) continue;
    const v = candles[column][bad];
    issues.push({
      path: [column, String(bad)],
      message:
        column === 'time'
          ? `Bar times must be finite and strictly increasing; bar ${bad} has ${v}${bad > 0 ? ` after ${candles.time[bad - 1]}` : ''}.`
          : `${column} must be a finite price > 0; bar ${bad} has ${v}.`,
    });
  }
  return issues;
}

function firstBadTime(time: Float64Array): number {
  let prev = -Infinity;
  for (let t = 0; t < time.length; t++) {
    const v = time[t];
    // Negated comparisons so NaN fails too.
    if (!(v > prev && v < Infinity)) return t;
    prev = v;
  }
  return -1;
}

function firstBadPrice(values: Float64Array): number {
  for (let t = 0; t < values.length; t++) {
    const v = values[t];
    if (!(v > 0 && v < Infinity)) return t;
  }
  return -1;
}
