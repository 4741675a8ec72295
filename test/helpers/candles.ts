import { INTERVALS, type IntervalName } from '../../src/lib/intervals.js';
import type { Candles } from '../../src/engine/index.js';
import { referenceTimeBucket } from './time-bucket-reference.js';
import { createRng } from '../../src/engine/testing/synthetic-candles.js';


/** A random-walk series of `n` valid candles every `stepMs` from `startMs`. */
export function randomCandles(seed: number, n: number, startMs: number, stepMs: number): Candles {
  const r = createRng(seed); // seeded (mulberry32, shared with the engine's tests): reproducible
  const c = {
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
  let price = 100 + r() * 50;
  for (let i = 0; i < n; i++) {
    const open = price;
    const close = Math.max(1, open * (1 + (r() - 0.5) * 0.02));
    c.time[i] = startMs + i * stepMs;
    c.open[i] = open;
    c.close[i] = close;
    c.high[i] = Math.max(open, close) * (1 + r() * 0.005);
    c.low[i] = Math.min(open, close) * (1 - r() * 0.005);
    c.volume[i] = Math.round(r() * 1000 * 100) / 100;
    price = close;
  }
  return c;
}

export interface ReferenceBar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Independent aggregation: first open, max high, min low, last close, summed volume per bucket of [fromMs, toMs). */
export function aggregateReference(c: Candles, interval: IntervalName, fromMs: number, toMs: number): ReferenceBar[] {
  const buckets = new Map<number, ReferenceBar>();
  for (let i = 0; i < c.time.length; i++) {
    const t = c.time[i]!;
    if (t < fromMs || t >= toMs) continue;
    const b = referenceTimeBucket(INTERVALS[interval], t);
    const bar = buckets.get(b);
    if (!bar) buckets.set(b, { time: b, open: c.open[i]!, high: c.high[i]!, low: c.low[i]!, close: c.close[i]!, volume: c.volume[i]! });
    else {
      bar.high = Math.max(bar.high, c.high[i]!);
      bar.low = Math.min(bar.low, c.low[i]!);
      bar.close = c.close[i]!;
      bar.volume += c.volume[i]!;
    }
  }
  return [...buckets.values()].sort((a, b) => a.time - b.time);
}

/** GraphQL CandleInput list from columns. */
export function toCandleInputs(c: Candles) {
  return Array.from(c.time, (t, i) => ({
    time: new Date(t).toISOString(),
    open: c.open[i]!,
    high: c.high[i]!,
    low: c.low[i]!,
    close: c.close[i]!,
    volume: c.volume[i]!,
  }));
}
