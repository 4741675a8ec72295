/**
 * Simple moving average of `values` over `period` bars.
 *
 * out[t] = mean(values[t−period+1 ..= t]); NaN for t < period − 1 (not yet defined).
 * O(n) with a running sum; `out` may be passed to avoid allocation (length ≥ values.length).
 *
 * @param period integer ≥ 1
 */
export function sma(values: Float64Array, period: number, out: Float64Array = new Float64Array(values.length)): Float64Array {
  const n = values.length;
  const warm = Math.min(period - 1, n);
  for (let t = 0; t < warm; t++) out[t] = NaN;
  if (n < period) return out;
  let sum = 0;
  for (let t = 0; t < period; t++) sum += values[t];
  out[period - 1] = sum / period;
  for (let t = period; t < n; t++) {
    sum += values[t] - values[t - period];
    out[t] = sum / period;
  }
  return out;
}
