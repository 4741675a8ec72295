import type { EquityCurve } from './types.js';

/**
 * Reduces an equity curve to at most `maxPoints` points for charting, keeping the shape
 * that matters: the first and last points, the global peak and trough of equity, and the
 * minimum and maximum of each of ⌊(maxPoints − kept) / 2⌋ equal-width buckets of the bars
 * in between (min/max bucketing: every excursion stays visible, unlike plain decimation).
 * Output points are in time order with no duplicates; curves already short enough are
 * returned as copies.
 *
 * With maxPoints < 4 the kept points are chosen in priority order: last, first, trough, peak.
 *
 * @param maxPoints integer ≥ 1
 * @throws RangeError when maxPoints is not an integer ≥ 1
 */
export function downsampleEquity(curve: EquityCurve, maxPoints: number): EquityCurve {
  if (!Number.isInteger(maxPoints) || maxPoints < 1) {
    throw new RangeError(`maxPoints must be an integer ≥ 1, got ${maxPoints}`);
  }
  const { equity } = curve;
  const n = equity.length;
  if (n <= maxPoints) return pick(curve, null);

  let peak = 0;
  let trough = 0;
  for (let i = 1; i < n; i++) {
    if (equity[i] > equity[peak]) peak = i;
    if (equity[i] < equity[trough]) trough = i;
  }
  const required = unique([n - 1, 0, trough, peak]).slice(0, maxPoints);
  const budget = maxPoints - required.length;
  const buckets = Math.floor(budget / 2);
  // Interior bars 1..n−2 split into `buckets` contiguous ranges of (almost) equal width. The
  // buckets come in time order, so their extremes are written in order, merged with the
  // required points and deduplicated as they go: no set, no sort (this runs for every
  // backtest, and a set of 2,000 indices cost more than the run's own bar loop).
  const sortedRequired = Int32Array.from(required).sort();
  const kept = new Int32Array(required.length + 2 * buckets);
  let m = 0;
  let r = 0;
  const take = (i: number) => {
    if (m === 0 || kept[m - 1]! < i) kept[m++] = i;
  };
  const keep = (i: number) => {
    while (r < sortedRequired.length && sortedRequired[r]! <= i) take(sortedRequired[r++]!);
    take(i);
  };
  const interior = n - 2;
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * interior) / buckets);
    const to = 1 + Math.floor(((b + 1) * interior) / buckets); // exclusive
    if (from >= to) continue;
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      if (equity[i] < equity[lo]) lo = i;
      if (equity[i] > equity[hi]) hi = i;
    }
    keep(Math.min(lo, hi));
    keep(Math.max(lo, hi));
  }
  while (r < sortedRequired.length) take(sortedRequired[r++]!);
  return pick(curve, kept.subarray(0, m));
}

function unique(values: number[]): number[] {
  return values.filter((v, i) => values.indexOf(v) === i);
}

function pick(curve: EquityCurve, indices: Int32Array | null): EquityCurve {
  if (indices === null) {
    return { time: curve.time.slice(), equity: curve.equity.slice(), drawdown: curve.drawdown.slice() };
  }
  const m = indices.length;
  const time = new Float64Array(m);
  const equity = new Float64Array(m);
  const drawdown = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const i = indices[k];
    time[k] = curve.time[i];
    equity[k] = curve.equity[i];
    drawdown[k] = curve.drawdown[i];
  }
  return { time, equity, drawdown };
}
