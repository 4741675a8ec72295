export interface BollingerBands {
  readonly lower: Float64Array;
  readonly middle: Float64Array;
  readonly upper: Float64Array;
}

/**
 * Bollinger bands: middle = SMA(period), upper/lower = middle ± k × σ, where σ is the
 * POPULATION standard deviation (divide by `period`, not period − 1) of the last `period`
 * values — the usual Bollinger convention and the one `trading-signals` uses.
 * NaN for t < period − 1.
 *
 * The window variance is recomputed from the window each bar (two-pass, O(n·period)) rather
 * than from running sums of squares, which cancel catastrophically at price levels ≫ σ.
 *
 * @param period integer ≥ 1
 * @param k band width in standard deviations, > 0
 * @param out optional output arrays (length ≥ values.length)
 */
export function bollinger(
  values: Float64Array,
  period: number,
  k: number,
  out: BollingerBands = {
    lower: new Float64Array(values.length),
    middle: new Float64Array(values.length),
    upper: new Float64Array(values.length),
  },
): BollingerBands {
  const n = values.length;
  const { lower, middle, upper } = out;
  let sum = 0;
  for (let t = 0; t < n; t++) {
    sum += values[t];
    if (t >= period) sum -= values[t - period];
    if (t < period - 1) {
      lower[t] = middle[t] = upper[t] = NaN;
      continue;
    }
    const mean = sum / period;
    let sq = 0;
    for (let j = t - period + 1; j <= t; j++) {
      const d = values[j] - mean;
      sq += d * d;
    }
    const width = k * Math.sqrt(sq / period);
    middle[t] = mean;
    lower[t] = mean - width;
    upper[t] = mean + width;
  }
  return out;
}
