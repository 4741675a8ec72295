import { ema } from './ema.js';

export interface Macd {
  /** EMA(fast) − EMA(slow); NaN for t < slow − 1. */
  readonly macd: Float64Array;
  /** EMA(signal) of the MACD line, seeded with its first value; NaN for t < slow + signal − 2. */
  readonly signal: Float64Array;
  /** macd − signal; NaN where either is. */
  readonly histogram: Float64Array;
}

/**
 * MACD with EMAs as in `ema` (first-value seed). The line is defined from t = slow − 1
 * (like `trading-signals`, it is reported once the slow EMA has seen `slow` values); the
 * signal line needs `signal` MACD values, so it is defined from t = slow + signal − 2.
 *
 * @param fast integer ≥ 1, < slow
 * @param slow integer ≥ 2
 * @param signal integer ≥ 1
 * @param out optional output arrays (length ≥ values.length)
 */
export function macd(
  values: Float64Array,
  fast: number,
  slow: number,
  signal: number,
  out: Macd = {
    macd: new Float64Array(values.length),
    signal: new Float64Array(values.length),
    histogram: new Float64Array(values.length),
  },
): Macd {
  const n = values.length;
  // The EMAs are staged in the signal and histogram arrays, which are written last.
  const fastEma = ema(values, fast, out.signal);
  const slowEma = ema(values, slow, out.histogram);
  const line = out.macd;
  const start = Math.max(fast, slow) - 1;
  for (let t = 0; t < n; t++) line[t] = t >= start ? fastEma[t] - slowEma[t] : NaN;
  // ema() skips the leading NaNs, so the signal line is seeded with the first MACD value.
  const sig = ema(line, signal, out.signal);
  const histogram = out.histogram;
  for (let t = 0; t < n; t++) histogram[t] = line[t] - sig[t];
  return out;
}
