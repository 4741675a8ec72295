export interface DonchianChannel {
  /** Highest high of bars t−period+1 ..= t; NaN for t < period − 1. */
  readonly upper: Float64Array;
  /** Lowest low of bars t−period+1 ..= t; NaN for t < period − 1. */
  readonly lower: Float64Array;
}

/**
 * Donchian channel over `period` bars INCLUDING bar t (as `trading-signals` defines it);
 * breakout strategies compare a close with the channel of the previous bar.
 * O(n) with monotonic deques of bar indices.
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
  rollingExtreme(high, period, true, out.upper);
  rollingExtreme(low, period, false, out.lower);
  return out;
}

function rollingExtreme(values: Float64Array, period: number, isMax: boolean, out: Float64Array): void {
  const n = values.length;
  // Ring buffer of candidate indices whose values are monotonic from head to tail.
  const deque = new Int32Array(Math.max(1, Math.min(period, n)) + 1);
  const cap = deque.length;
  let head = 0;
  let size = 0;
  for (let t = 0; t < n; t++) {
    const v = values[t];
    while (size > 0) {
      const back = values[deque[(head + size - 1) % cap]];
      if (isMax ? back <= v : back >= v) size--;
      else break;
    }
    deque[(head + size) % cap] = t;
    size++;
    if (deque[head] <= t - period) {
      head = (head + 1) % cap;
      size--;
    }
    out[t] = t >= period - 1 ? values[deque[head]] : NaN;
  }
}
