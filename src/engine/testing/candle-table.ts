import type { Candles } from '../types.js';

/** One day in milliseconds: table bars are daily by default. */
export const DAY_MS = 86_400_000;

/**
 * Builds candles from a readable table, for scenario tests:
 *
 * ```
 *   bar  open  close  note
 *   0    10    10
 *   1    10    9
 *   2    9     11     bullish cross
 * ```
 *
 * The first non-empty line is the header. Recognised columns: `open`, `close` (required),
 * `high`, `low` (default max/min of open and close). Other columns (`bar`, `note`, …) are
 * annotations for the reader and ignored; a `note` column may hold free text and must be
 * last. Bar t gets time = startTime + t × barMs (default 2024-01-01 UTC, daily).
 */
export function candlesFromTable(table: string, options: { startTime?: number; barMs?: number } = {}): Candles {
  const lines = table
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
  const header = lines[0].split(/\s+/);
  const index = (name: string) => header.indexOf(name);
  const rows = lines.slice(1).map((l) => l.split(/\s+/));
  const n = rows.length;
  const startTime = options.startTime ?? Date.UTC(2024, 0, 1);
  const barMs = options.barMs ?? DAY_MS;
  const col = (name: string, fallback: (r: string[], o: number, c: number) => number): Float64Array => {
    const i = index(name);
    return Float64Array.from(rows, (r) => (i >= 0 ? Number(r[i]) : fallback(r, Number(r[index('open')]), Number(r[index('close')]))));
  };
  if (index('open') < 0 || index('close') < 0) throw new Error('candle table needs open and close columns');
  return {
    time: Float64Array.from({ length: n }, (_, t) => startTime + t * barMs),
    open: col('open', () => NaN),
    high: col('high', (_r, o, c) => Math.max(o, c)),
    low: col('low', (_r, o, c) => Math.min(o, c)),
    close: col('close', () => NaN),
    volume: new Float64Array(n).fill(1),
  };
}

/** Candles whose open equals the previous close (first open = first close). */
export function candlesFromCloses(closes: readonly number[], options: { startTime?: number; barMs?: number } = {}): Candles {
  const n = closes.length;
  const startTime = options.startTime ?? Date.UTC(2024, 0, 1);
  const barMs = options.barMs ?? DAY_MS;
  const close = Float64Array.from(closes);
  const open = Float64Array.from(closes, (_c, t) => (t === 0 ? closes[0] : closes[t - 1]));
  return {
    time: Float64Array.from({ length: n }, (_, t) => startTime + t * barMs),
    open,
    high: Float64Array.from(close, (c, t) => Math.max(c, open[t])),
    low: Float64Array.from(close, (c, t) => Math.min(c, open[t])),
    close,
    volume: new Float64Array(n).fill(1),
  };
}

/** Bars [start, end) of `candles` as views (no copy). */
export function sliceCandles(candles: Candles, start: number, end: number): Candles {
  return {
    time: candles.time.subarray(start, end),
    open: candles.open.subarray(start, end),
    high: candles.high.subarray(start, end),
    low: candles.low.subarray(start, end),
    close: candles.close.subarray(start, end),
    volume: candles.volume.subarray(start, end),
  };
}
