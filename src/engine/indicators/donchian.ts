export interface DonchianChannel {
  /** Highest high of bars t−period+1 ..= t; NaN for t < period − 1. */
  readonly upper: Float64Array;
  /** Lowest low of bars t−period+1 ..= t; NaN for t < period − 1. */
  readonly lower: Float64Array;
}

/**
 * Donchian channel over `period` bars INCLUDING bar t (as `trading-signals` defines it);
 * breakout strategies compare a close with the channel of the previous bar.
 * O(n) amortised with monotonic deques (each bar is pushed and popped at most once).
 *
 * @param period integer ≥ 1
 * @param out optional output arrays (length ≥ high.length)
 */
export function donchian(
  high: Float64Array,
  low: Float64Array,
  period: number,
  out: DonchianChannel = { upper: new Float64Array(high.length), lower: new Float64Array(low.length) },
): DonchianChannel {
  rollingMax(high, period, out.upper);
  rollingMin(low, period, out.lower);
  return out;
}

/**
 * Ring capacity for a window of `period`: a power of two ≥ period + 1, so a ring position
 * is `counter & mask` (no integer division per step). Head and tail are ever-increasing
 * counters; tail − head ≤ period.
 */
function ringCapacity(period: number, n: number): number {
  const needed = Math.max(1, Math.min(period, n)) + 1;
  let cap = 2;
  while (cap < needed) cap *= 2;
  return cap;
}

/**
 * out[t] = max(values[t−period+1 ..= t]), NaN for t < period − 1. The deque holds the
 * candidates (index and value, so the scan never reads `values` at random) with values
 * strictly decreasing from head to tail. Comparisons are written so NaN behaves exactly as
 * in the previous single-function version (a NaN is pushed, never pops nor is popped).
 */
function rollingMax(values: Float64Array, period: number, out: Float64Array): void {
  const n = values.length;
  const cap = ringCapacity(period, n);
  const mask = cap - 1;
  const index = new Int32Array(cap);
  const value = new Float64Array(cap);
  let head = 0;
  let tail = 0;
  const warm = Math.min(period - 1, n);
  for (let t = 0; t < n; t++) {
    const v = values[t];
    while (tail > head && value[(tail - 1) & mask] <= v) tail--;
    index[tail & mask] = t;
    value[tail & mask] = v;
    tail++;
    if (index[head & mask] <= t - period) head++;
    out[t] = value[head & mask];
  }
  for (let t = 0; t < warm; t++) out[t] = NaN;
}

/** `rollingMax` mirrored: out[t] = min(values[t−period+1 ..= t]). */
function rollingMin(values: Float64Array, period: number, out: Float64Array): void {
  const n = values.length;
  const cap = ringCapacity(period, n);
  const mask = cap - 1;
  const index = new Int32Array(cap);
  const value = new Float64Array(cap);
  let head = 0;
  let tail = 0;
  const warm = Math.min(period - 1, n);
  for (let t = 0; t < n; t++) {
    const v = values[t];
    while (tail > head && value[(tail - 1) & mask] >= v) tail--;
    index[tail & mask] = t;
    value[tail & mask] = v;
    tail++;
    if (index[head & mask] <= t - period) head++;
    out[t] = value[head & mask];
  }
  for (let t = 0; t < warm; t++) out[t] = NaN;
}
