export interface BollingerBands {
  readonly lower: Float64Array;
  readonly middle: Float64Array;
  readonly upper: Float64Array;
}

/**
 * The rolling M2 update is trusted while the magnitudes it has accumulated since the last
 * exact re-sum stay below DRIFT_LIMIT × M2. Each update's rounding error is a few ulps of
 * those magnitudes (≈ 4.4e-16 each), so the relative error of M2 stays below ~1e-12
 * (σ below ~5e-13 relative); past the limit the window is re-summed exactly. In practice
 * that is every few hundred bars, or every bar of a flat window (M2 = 0).
 */
const DRIFT_LIMIT = 1000;

/**
 * Bollinger bands: middle = SMA(period), upper/lower = middle ± k × σ, where σ is the
 * POPULATION standard deviation (divide by `period`, not period − 1) of the last `period`
 * values — the usual Bollinger convention and the one `trading-signals` uses.
 * NaN for t < period − 1.
 *
 * O(n) amortised: the middle is the running sum / period (same arithmetic as before); the
 * window's sum of squared deviations M2 is updated Welford-style when x enters and y
 * leaves, M2 += (x − y)(x − mean′ + y − mean). That works on deviations from the mean, so
 * it does not cancel catastrophically at price levels ≫ σ the way Σx² − (Σx)²/n does, and
 * the window is re-summed exactly (two-pass) whenever the accumulated rounding could
 * matter (see DRIFT_LIMIT). Tests hold the bands within 1e-9 of trading-signals.
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
  const warm = Math.min(period - 1, n);
  for (let t = 0; t < warm; t++) lower[t] = middle[t] = upper[t] = NaN;
  if (n < period) return out;
  let sum = 0;
  for (let t = 0; t < period; t++) sum += values[t];
  let mean = sum / period;
  let m2 = windowSquaredDeviations(values, period - 1, period, mean);
  let drift = 0;
  writeBands(lower, middle, upper, period - 1, mean, k * Math.sqrt(m2 / period));
  for (let t = period; t < n; t++) {
    const x = values[t];
    const y = values[t - period];
    sum += x;
    sum -= y;
    const nextMean = sum / period;
    const dx = x - nextMean;
    const dy = y - mean;
    const change = x - y;
    m2 += change * (dx + dy);
    drift += Math.abs(change) * (Math.abs(dx) + Math.abs(dy) + Math.abs(nextMean)) + m2;
    // Negated so a NaN drift (NaN or infinite values) also takes the exact path.
    if (!(drift <= DRIFT_LIMIT * m2)) {
      m2 = windowSquaredDeviations(values, t, period, nextMean);
      drift = 0;
    }
    mean = nextMean;
    writeBands(lower, middle, upper, t, mean, k * Math.sqrt(m2 / period));
  }
  return out;
}

/** Σ (values[j] − mean)² over the window ending at `end`, two-pass (exact up to rounding). */
function windowSquaredDeviations(values: Float64Array, end: number, period: number, mean: number): number {
  let sq = 0;
  for (let j = end - period + 1; j <= end; j++) {
    const d = values[j] - mean;
    sq += d * d;
  }
  return sq;
}

function writeBands(lower: Float64Array, middle: Float64Array, upper: Float64Array, t: number, mean: number, width: number): void {
  middle[t] = mean;
  lower[t] = mean - width;
  upper[t] = mean + width;
}
