import type { Candles } from '../../engine/index.js';
import type { IntervalSpec } from '../../lib/intervals.js';
import { isCutBucket } from '../../lib/time-bucket.js';

/** Candles of the given length, zero-filled (each column on its own ArrayBuffer). */
export function allocateCandles(length = 0): Candles {
  return {
    time: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
}

/** One candle as an object (GraphQL output, row-oriented callers). */
export interface CandleRow {
  time: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** The bar's bucket reaches outside the range asked for: it holds only part of its interval. */
  partial: boolean;
}

/**
 * Candle columns as row objects (times as Dates), for responses. With `range`, bars whose
 * bucket the range cuts are flagged `partial` (only the first and the last can be).
 */
export function toCandleRows(c: Candles, range?: { spec: IntervalSpec; fromMs: number; toMs: number }): CandleRow[] {
  const n = c.time.length;
  const rows = new Array<CandleRow>(n);
  for (let i = 0; i < n; i++) {
    rows[i] = { time: new Date(c.time[i]!), open: c.open[i]!, high: c.high[i]!, low: c.low[i]!, close: c.close[i]!, volume: c.volume[i]!, partial: false };
  }
  if (range && n > 0) {
    for (const i of n === 1 ? [0] : [0, n - 1]) rows[i]!.partial = isCutBucket(range.spec, c.time[i]!, range.fromMs, range.toMs);
  }
  return rows;
}

/** The relations candles are read from, finest to coarsest. */
export type CandleSource = 'raw' | 'candle_1h' | 'candle_1d';

const CANDLE_FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;
type MutableCandles = { -readonly [K in keyof Candles]: Candles[K] };

/**
 * Appends candles into growing typed columns (doubling: amortised O(1), no row objects)
 * when the count is not known in advance; `finish` returns columns of exactly the length
 * pushed, each on its own ArrayBuffer (so they can be transferred to a worker thread).
 */
export class CandleColumnsBuilder {
  private columns: Candles;
  private capacity: number;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(1, initialCapacity);
    this.columns = allocateCandles(this.capacity);
  }

  push(time: number, open: number, high: number, low: number, close: number, volume: number): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    const c = this.columns;
    c.time[i] = time;
    c.open[i] = open;
    c.high[i] = high;
    c.low[i] = low;
    c.close[i] = close;
    c.volume[i] = volume;
  }

  private grow(): void {
    this.capacity *= 2;
    const next = allocateCandles(this.capacity);
    for (const field of CANDLE_FIELDS) next[field].set(this.columns[field]);
    this.columns = next;
  }

  finish(): Candles {
    if (this.length === this.capacity) return this.columns;
    // slice, not subarray: the spare capacity is released.
    const out = allocateCandles(0) as MutableCandles;
    for (const field of CANDLE_FIELDS) out[field] = this.columns[field].slice(0, this.length);
    return out;
  }
}
