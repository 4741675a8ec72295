import type { Candles } from '../../engine/index.js';
import type { IntervalSpec } from '../../lib/intervals.js';
import { bucketStart } from '../../lib/time-bucket.js';

/**
 * Candles from columnar blocks (candle_block), and candles on SharedArrayBuffers: the read
 * path of backtests. A block's bytes are six packed big-endian float8 columns (time in epoch
 * ms, open, high, low, close, volume); they are copied into the destination column by
 * column and byte-swapped there (Buffer.swap64: native, no work per bar in JavaScript).
 */

const COLUMNS = 6;
const FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

/** Candles whose six columns are views of one SharedArrayBuffer. */
export interface SharedCandles {
  candles: Candles;
  /** What the columns occupy (the cache's size of the entry). */
  bytes: number;
}

/**
 * Room for `capacity` bars in one SharedArrayBuffer, column after column: engine threads
 * (and the in-process cache) share it without a copy.
 */
function allocate(capacity: number): { buffer: SharedArrayBuffer; columns: Float64Array[] } {
  const buffer = new SharedArrayBuffer(Math.max(1, capacity) * 8 * COLUMNS);
  return { buffer, columns: FIELDS.map((_, c) => new Float64Array(buffer, c * capacity * 8, capacity)) };
}

function view(columns: Float64Array[], length: number): Candles {
  return {
    time: columns[0]!.subarray(0, length),
    open: columns[1]!.subarray(0, length),
    high: columns[2]!.subarray(0, length),
    low: columns[3]!.subarray(0, length),
    close: columns[4]!.subarray(0, length),
    volume: columns[5]!.subarray(0, length),
  };
}

/** Exactly-sized shared copy of `candles` (also from the cache's encoded form). */
export function toSharedCandles(candles: Candles): SharedCandles {
  const n = candles.time.length;
  const { columns } = allocate(n);
  FIELDS.forEach((field, c) => columns[c]!.set(candles[field]));
  return { candles: view(columns, n), bytes: n * 8 * COLUMNS };
}

/**
 * Shared candles from `n` bars laid out as allocate() lays them out — six native-order
 * float64 columns one after another (the cache's L2 form): one copy.
 */
export function sharedCandlesFromBytes(bytes: Uint8Array, n: number): SharedCandles {
  const { buffer, columns } = allocate(n);
  new Uint8Array(buffer).set(bytes.subarray(0, n * 8 * COLUMNS));
  return { candles: view(columns, n), bytes: n * 8 * COLUMNS };
}

/** Index of the first time ≥ `ms` in a block's big-endian time column of `n` bars. */
function lowerBound(block: Buffer, n: number, ms: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (block.readDoubleBE(mid * 8) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Assembly {
  private buffer: SharedArrayBuffer;
  private columns: Float64Array[];
  private capacity: number;
  length = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    ({ buffer: this.buffer, columns: this.columns } = allocate(capacity));
  }

  /** Appends bars [from, to) of a block of `n` bars. */
  append(block: Buffer, n: number, from: number, to: number): void {
    const count = to - from;
    if (count <= 0) return;
    if (this.length + count > this.capacity) this.grow(this.length + count);
    const bytes = new Uint8Array(this.buffer);
    for (let c = 0; c < COLUMNS; c++) {
      const source = block.subarray((c * n + from) * 8, (c * n + to) * 8);
      const at = this.columns[c]!.byteOffset + this.length * 8;
      bytes.set(source, at);
      Buffer.from(this.buffer, at, count * 8).swap64();
    }
    this.length += count;
  }

  private grow(needed: number): void {
    const capacity = Math.max(needed, this.capacity * 2);
    const next = allocate(capacity);
    for (let c = 0; c < COLUMNS; c++) next.columns[c]!.set(this.columns[c]!.subarray(0, this.length));
    this.buffer = next.buffer;
    this.columns = next.columns;
    this.capacity = capacity;
  }

  finish(): SharedCandles {
    // Over a third of the room unused (a sparse range): keep an exact copy, so the cache
    // accounts for what the candles take.
    if (this.length < (this.capacity * 2) / 3) return toSharedCandles(view(this.columns, this.length));
    return { candles: view(this.columns, this.length), bytes: this.capacity * 8 * COLUMNS };
  }
}

/**
 * Collects the blocks of many instruments (in instrument and time order, as findCandleBlocks
 * yields them) into each instrument's candles in [fromMs, toMs), clipping the first and last
 * block. `capacityOf` estimates an instrument's bars (it grows by doubling past that).
 */
export class BlockAssembler {
  private readonly assemblies = new Map<number, Assembly>();

  constructor(
    private readonly fromMs: number,
    private readonly toMs: number,
    private readonly capacityOf: (instrumentId: number) => number,
  ) {}

  add(instrumentId: number, barCount: number, block: Buffer): void {
    if (block.length !== barCount * 8 * COLUMNS) throw new Error(`candle block of instrument ${instrumentId} holds ${block.length} bytes for ${barCount} bars`);
    let assembly = this.assemblies.get(instrumentId);
    if (!assembly) {
      assembly = new Assembly(this.capacityOf(instrumentId));
      this.assemblies.set(instrumentId, assembly);
    }
    assembly.append(block, barCount, lowerBound(block, barCount, this.fromMs), lowerBound(block, barCount, this.toMs));
  }

  finish(): Map<number, SharedCandles> {
    const out = new Map<number, SharedCandles>();
    for (const [id, assembly] of this.assemblies) if (assembly.length) out.set(id, assembly.finish());
    return out;
  }
}

/**
 * Candles at a coarser interval, bucketed as time_bucket does (fixed widths from 2000-01-03,
 * months from 2000-01-01, UTC): first open, highest high, lowest low, last close, summed
 * volume — the SQL regrouping of the candles query, done on columns already in memory.
 */
export function regroupCandles(source: Candles, spec: IntervalSpec): SharedCandles {
  const n = source.time.length;
  let buckets = 0;
  let last = Number.NaN;
  for (let i = 0; i < n; i++) {
    const b = bucketStart(spec, source.time[i]!);
    if (b !== last) {
      buckets += 1;
      last = b;
    }
  }
  const { columns } = allocate(buckets);
  const [time, open, high, low, close, volume] = columns as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  let k = -1;
  last = Number.NaN;
  for (let i = 0; i < n; i++) {
    const b = bucketStart(spec, source.time[i]!);
    if (b !== last) {
      k += 1;
      last = b;
      time[k] = b;
      open[k] = source.open[i]!;
      high[k] = source.high[i]!;
      low[k] = source.low[i]!;
      close[k] = source.close[i]!;
      volume[k] = source.volume[i]!;
      continue;
    }
    if (source.high[i]! > high[k]!) high[k] = source.high[i]!;
    if (source.low[i]! < low[k]!) low[k] = source.low[i]!;
    close[k] = source.close[i]!;
    volume[k] = volume[k]! + source.volume[i]!;
  }
  return { candles: view(columns, buckets), bytes: buckets * 8 * COLUMNS };
}
