/**
 * Wilder's relative strength index over `period` price changes, in [0, 100].
 *
 * Gains/losses are the positive/negative parts of values[t] − values[t−1]. The first
 * average gain/loss is the simple mean of the first `period` changes (t = 1..period);
 * afterwards Wilder smoothing: avg = avg + (x − avg) / period. RSI = 100 − 100 / (1 + gain/loss),
 * and 100 when the average loss is 0 (also when both are 0, as in `trading-signals`).
 * out[t] is NaN for t < period (period changes need period + 1 values).
 *
 * @param period integer ≥ 1
 */
export function rsi(values: Float64Array, period: number, out: Float64Array = new Float64Array(values.length)): Float64Array {
  const n = values.length;
  for (let t = 0; t < Math.min(period, n); t++) out[t] = NaN;
  if (n <= period) return out;
  let gain = 0;
  let loss = 0;
  for (let t = 1; t <= period; t++) {
    const d = values[t] - values[t - 1];
    if (d > 0) gain += d;
    else loss -= d;
  }
  gain /= period;
  loss /= period;
  out[period] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  for (let t = period + 1; t < n; t++) {
    const d = values[t] - values[t - 1];
    const g = d > 0 ? d : 0;
    const l = d > 0 ? 0 : -d;
    gain += (g - gain) / period;
    loss += (l - loss) / period;
    out[t] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  }
  return out;
}
