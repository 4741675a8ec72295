/** Candles as columns (times in epoch ms, UTC): the shape every hot path uses. */
export interface CandleColumns {
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

export function emptyCandleColumns(length = 0): CandleColumns {
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
}

/** The relations candles are read from, finest to coarsest. */
export type CandleSource = 'raw' | 'candle_1h' | 'candle_1d';

const CANDLE_FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Appends candles into growing typed columns (doubling: amortised O(1), no row objects)
 * when the count is not known in advance; `finish` returns columns of exactly the length
 * pushed, each on its own ArrayBuffer (so they can be transferred to a worker thread).
 */
export class CandleColumnsBuilder {
  private columns: CandleColumns;
  private capacity: number;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(1, initialCapacity);
    this.columns = emptyCandleColumns(this.capacity);
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
    const next = emptyCandleColumns(this.capacity);
    for (const field of CANDLE_FIELDS) next[field].set(this.columns[field]);
    this.columns = next;
  }

  finish(): CandleColumns {
    if (this.length === this.capacity) return this.columns;
    // slice, not subarray: the spare capacity is released.
    const out = emptyCandleColumns(0);
    for (const field of CANDLE_FIELDS) out[field] = this.columns[field].slice(0, this.length);
    return out;
  }
}
