import type { Candles } from '../types.js';

/**
 * Deterministic helpers for tests and benches. The engine never calls Math.random():
 * randomness comes from an explicit seed.
 */

/** mulberry32: a tiny, fast 32-bit PRNG; returns floats in [0, 1). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomWalkOptions {
  /** First open; default 100. */
  readonly startPrice?: number;
  /** Per-bar log-return scale; default 0.01. */
  readonly volatility?: number;
  /** First bar time, epoch ms; default 2020-01-01T00:00:00Z. */
  readonly startTime?: number;
  /** Bar length in ms; default one hour. */
  readonly barMs?: number;
}

/**
 * A geometric random walk of `n` hourly bars (by default): open = previous close,
 * high/low bracket open and close, all prices > 0. Same seed ⇒ same candles.
 */
export function generateRandomWalkCandles(n: number, seed: number, options: RandomWalkOptions = {}): Candles {
  const rng = createRng(seed);
  const vol = options.volatility ?? 0.01;
  const startTime = options.startTime ?? Date.UTC(2020, 0, 1);
  const barMs = options.barMs ?? 3_600_000;
  const time = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  let price = options.startPrice ?? 100;
  for (let t = 0; t < n; t++) {
    time[t] = startTime + t * barMs;
    const o = price;
    const c = o * Math.exp(vol * (rng() + rng() + rng() - 1.5) * 2);
    open[t] = o;
    close[t] = c;
    high[t] = Math.max(o, c) * (1 + vol * rng());
    low[t] = Math.min(o, c) * (1 - vol * rng());
    volume[t] = 1000 + 1000 * rng();
    price = c;
  }
  return { time, open, high, low, close, volume };
}
