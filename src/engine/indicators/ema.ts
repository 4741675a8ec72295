/**
 * Exponential moving average with smoothing α = 2 / (period + 1).
 *
 * Seeded with the first value (e[0] = values[0]; e[t] = α·values[t] + (1−α)·e[t−1]) — the
 * convention of the `trading-signals` library, which the cross-check test compares against —
 * and reported only once `period` values have been seen: out[t] is NaN for t < period − 1.
 *
 * Values that are NaN at the start of `values` are skipped: the EMA starts at the first
 * defined value `s`, and is NaN for t < s + period − 1. This lets MACD smooth its own
 * (initially undefined) line with the same function.
 *
 * @param period integer ≥ 1
 */
export function ema(values: Float64Array, period: number, out: Float64Array = new Float64Array(values.length)): Float64Array {
  const n = values.length;
  const alpha = 2 / (period + 1);
  const keep = 1 - alpha;
  let start = 0;
  while (start < n && Number.isNaN(values[start])) out[start++] = NaN;
  if (start === n) return out;
  const firstDefined = start + period - 1;
  let e = values[start];
  out[start] = start >= firstDefined ? e : NaN;
  for (let t = start + 1; t < n; t++) {
    e = alpha * values[t] + keep * e;
    out[t] = t >= firstDefined ? e : NaN;
  }
  return out;
}
