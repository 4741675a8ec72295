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
