import type { Candles, ValidationIssue } from './types.js';

const PRICE_COLUMNS = ['open', 'high', 'low', 'close'] as const;

/** A price column of `Candles`. */
export type PriceColumn = (typeof PRICE_COLUMNS)[number];

/**
 * Checks the columnar candles the engine relies on: at least one bar, all six columns
 * Float64Arrays of equal length, times finite and strictly increasing, open/high/low/close
 * finite and > 0. Only the first bad bar is reported (one issue per bad field of it), so a
 * million bad rows cannot produce a million messages. Paths are `[column]` or
 * `[column, index]`.
 *
 * @param priceColumns the price columns whose values are checked (default all four; close
 *   is always checked);
 *   `runBacktest` passes only the ones its run reads, since each column is a full pass
 *   over memory.
 */
export function validateCandles(
  candles: Candles,
  priceColumns: readonly PriceColumn[] = PRICE_COLUMNS,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const columns = ['time', ...PRICE_COLUMNS, 'volume'] as const;
  for (const column of columns) {
    if (!(candles?.[column] instanceof Float64Array)) {
      issues.push({ path: [column], message: `${column} must be a Float64Array.` });
    }
  }
  if (issues.length > 0) return issues;
  const n = candles.time.length;
  if (n === 0) return [{ path: ['time'], message: 'At least one candle is required.' }];
  for (const column of columns) {
    if (candles[column].length !== n) {
      issues.push({ path: [column], message: `${column} has ${candles[column].length} values but time has ${n}.` });
    }
  }
  if (issues.length > 0) return issues;
  const { time, close } = candles;
  const checks = new Set<PriceColumn>(priceColumns);
  // Unchecked columns alias `close`: re-reading the same cache line costs nothing.
  const open = checks.has('open') ? candles.open : close;
  const high = checks.has('high') ? candles.high : close;
  const low = checks.has('low') ? candles.low : close;
  checks.add('close'); // every run marks equity at the close
  // One fused pass (this runs before every backtest): the loop only finds the first bad
  // bar; the slow path below then names the column.
  let bad = -1;
  let prev = -Infinity;
  for (let t = 0; t < n; t++) {
    const v = time[t];
    const o = open[t];
    const h = high[t];
    const l = low[t];
    const c = close[t];
    // Negated comparisons so NaN fails too.
    if (!(v > prev && v < Infinity && o > 0 && o < Infinity && h > 0 && h < Infinity && l > 0 && l < Infinity && c > 0 && c < Infinity)) {
      bad = t;
      break;
    }
    prev = v;
  }
  if (bad < 0) return issues;
  const t = bad;
  const v = time[t];
  if (!(v > (t > 0 ? time[t - 1] : -Infinity) && v < Infinity)) {
    issues.push({
      path: ['time', String(t)],
      message: `Bar times must be finite and strictly increasing; bar ${t} has ${v}${t > 0 ? ` after ${time[t - 1]}` : ''}.`,
    });
  }
  for (const column of PRICE_COLUMNS) {
    if (!checks.has(column)) continue;
    const p = candles[column][t];
    if (!(p > 0 && p < Infinity)) {
      issues.push({ path: [column, String(t)], message: `${column} must be a finite price > 0; bar ${t} has ${p}.` });
    }
  }
  return issues;
}
