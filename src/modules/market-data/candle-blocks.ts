import { LRUCache } from 'lru-cache';
import type { Candles } from '../../engine/index.js';
import type { IntervalSpec } from '../../lib/intervals.js';
import { bucketStart } from '../../lib/time-bucket.js';

/**
 * Candles from columnar blocks (candle_block), and candles on SharedArrayBuffers: the read
 * path of backtests. A block is stored a column per row, each packed big-endian float8
 * (time in epoch ms, open, high, low, close, volume); a read asks for time and the price
 * columns its runs use, and they are copied into the destination column by column and
 * byte-swapped there (Buffer.swap64: native, no work per bar in JavaScript).
 */

/** The price columns, in the order a block stores them after time. */
export const PRICE_FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;
export type PriceField = (typeof PRICE_FIELDS)[number];
/** The price columns candles carry: a subset of PRICE_FIELDS, in that order. */
export type FieldSet = readonly PriceField[];

/** The price columns among `columns` (other names, such as time, are ignored), in block order. */
export function fieldSetOf(columns: Iterable<string>): FieldSet {
  const wanted = new Set(columns);
  return PRICE_FIELDS.filter((f) => wanted.has(f));
}

/** A short stable name of a field set (cache keys, logs): its first letters, e.g. "oc". */
export function fieldSetCode(fields: FieldSet): string {
  return fields.map((f) => f[0]).join('');
}

/** Candles whose time and present price columns are views of SharedArrayBuffers (time may be shared, see progressionColumn). */
export interface SharedCandles {
  /** Columns not in `fields` are NaN (a shared read-only column): the runs reading these candles never use them. */
  candles: Candles;
  fields: FieldSet;
  /** What the columns occupy (the cache's size of the entry). */
  bytes: number;
}

/**
 * Room for `count` columns of `capacity` bars in one SharedArrayBuffer, column after column:
 * engine threads (and the in-process cache) share it without a copy.
 */
function allocateColumns(capacity: number, count: number): { buffer: SharedArrayBuffer; columns: Float64Array[] } {
  const buffer = new SharedArrayBuffer(Math.max(1, capacity * count) * 8);
  return { buffer, columns: Array.from({ length: count }, (_, c) => new Float64Array(buffer, c * capacity * 8, capacity)) };
}

/** One column of `length` bars on its own SharedArrayBuffer. */
const sharedColumn = (length: number) => allocateColumns(length, 1).columns[0]!;

/** Time and `fields`, in that order. */
const allocate = (capacity: number, fields: FieldSet) => allocateColumns(capacity, 1 + fields.length);

/**
 * Time columns of bars exactly one step apart (bar i at firstMs + i·stepMs), one per
 * (firstMs, stepMs, length), shared read-only by every candles value that has those times:
 * a batch over one range of gapless instruments reads the same times for all of them, and
 * fresh memory is what a cold read pays most for (docs/performance.md, "fresh memory") — a
 * third of the columns of a two-field read. Bounded in bytes; a column evicted here lives on
 * in the candles that hold it, and the next reader of those times gets a new one.
 */
const progressions = new LRUCache<string, Float64Array>({ maxSize: 64 * 2 ** 20, sizeCalculation: (c) => Math.max(1, c.byteLength) });

export function progressionColumn(firstMs: number, stepMs: number, length: number): Float64Array {
  const key = `${firstMs}:${stepMs}:${length}`;
  let column = progressions.get(key);
  if (!column) {
    column = sharedColumn(length);
    for (let i = 0; i < length; i++) column[i] = firstMs + i * stepMs;
    progressions.set(key, column);
  }
  return column;
}

/**
 * The shared progression equal to `n` times in native-order bytes (a cached form), or null
 * when they are not one step apart (checked from the end: times with gaps fail at once, and
 * no column is made for them).
 */
function sharedTimeOf(bytes: Uint8Array, n: number): Float64Array | null {
  if (n < 2) return null;
  const data = new DataView(bytes.buffer, bytes.byteOffset, n * 8);
  const first = data.getFloat64(0, true);
  const step = data.getFloat64(8, true) - first;
  if (!(step > 0)) return null;
  for (let i = n - 1; i >= 2; i--) if (data.getFloat64(i * 8, true) !== first + i * step) return null;
  return progressionColumn(first, step, n);
}

/** The NaN column absent fields point at; one for every reader, grown when longer ones are needed. */
let absent = new Float64Array(new SharedArrayBuffer(8 * 1024)).fill(Number.NaN);
function absentColumn(length: number): Float64Array {
  if (absent.length < length) absent = new Float64Array(new SharedArrayBuffer(8 * Math.max(length, 2 * absent.length))).fill(Number.NaN);
  return absent.subarray(0, length);
}

/** Candles over `time` and `prices` (one column per field of `fields`) for `length` bars. */
function view(time: Float64Array, prices: readonly Float64Array[], length: number, fields: FieldSet): Candles {
  const column = (field: PriceField) => {
    const k = fields.indexOf(field);
    return k < 0 ? absentColumn(length) : prices[k]!.subarray(0, length);
  };
  return { time: time.subarray(0, length), open: column('open'), high: column('high'), low: column('low'), close: column('close'), volume: column('volume') };
}

/** Exactly-sized shared copy of `candles`' time and `fields`. */
export function toSharedCandles(candles: Candles, fields: FieldSet = PRICE_FIELDS): SharedCandles {
  const n = candles.time.length;
  const { columns } = allocate(n, fields);
  columns[0]!.set(candles.time);
  fields.forEach((field, k) => columns[k + 1]!.set(candles[field]));
  return { candles: view(columns[0]!, columns.slice(1), n, fields), fields, bytes: n * 8 * columns.length };
}

/**
 * Shared candles from `n` bars of native-order float64 columns, time then `fields` (the
 * cache's L2 form): one copy of the prices; times one step apart become the shared
 * progression (no copy).
 */
export function sharedCandlesFromBytes(bytes: Uint8Array, n: number, fields: FieldSet): SharedCandles {
  const size = n * 8 * (1 + fields.length);
  const sharedTime = sharedTimeOf(bytes, n);
  if (!sharedTime) {
    const { buffer, columns } = allocate(n, fields);
    new Uint8Array(buffer).set(bytes.subarray(0, size));
    return { candles: view(columns[0]!, columns.slice(1), n, fields), fields, bytes: size };
  }
  const { buffer, columns } = allocateColumns(n, fields.length);
  new Uint8Array(buffer).set(bytes.subarray(n * 8, size));
  return { candles: view(sharedTime, columns, n, fields), fields, bytes: size };
}

/**
 * One column of a block as the database hands it over (findCandleBlocks): a block is stored
 * a column per row, and a block whose bars are exactly the base interval apart has no time
 * row (bar i is at firstMs + i·step).
 */
export interface CandleBlockColumn {
  instrumentId: number;
  /** 0: time; k ≥ 1: the k-th of the asked-for fields. */
  column: number;
  /** Start of the block's span (its key), epoch ms. */
  blockMs: number;
  barCount: number;
  /** The block's first bar's time, epoch ms. */
  firstMs: number;
  /** `barCount` big-endian float8 values; valid only during the call that hands it over. */
  bytes: Buffer;
}

/** Index of the first time ≥ `ms` in a block of `n` bars: its big-endian time column, or its gapless times from `firstMs` every `stepMs`. */
function blockLowerBound(time: Buffer | undefined, n: number, firstMs: number, stepMs: number, ms: number): number {
  if (!time) return Math.min(n, Math.max(0, Math.ceil((ms - firstMs) / stepMs)));
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time.readDoubleBE(mid * 8) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where a block's bars [from, to) went in the destination columns (from bar `at`). */
interface Placed {
  blockMs: number;
  barCount: number;
  at: number;
  from: number;
  to: number;
}

/**
 * One instrument's columns being filled from block columns, which come time rows first,
 * then column by column in block order: the first price column places each block (clipped
 * to the range) and the others follow the same placement. Bytes are copied as they come
 * (big-endian, as stored) and swapped to native order once per column at the end — one
 * pass, instead of a swap call per block and column. While the bars are one step apart
 * (blocks without a time row, each starting a step after the last bar placed) no time is
 * written: the candles get the shared progression (progressionColumn). The first block with
 * a time row or a gap makes the time column, with the times so far.
 */
class Assembly {
  /** The price columns, one per field, in one buffer. */
  private buffer: SharedArrayBuffer;
  private bytes: Uint8Array;
  private prices: Float64Array[];
  /** Big-endian until finish(); null while the bars placed are one step apart from `firstMs`. */
  private time: Float64Array | null = null;
  private firstMs = 0;
  private capacity: number;
  length = 0;
  /** The time columns of the blocks with gaps, by block (copies: they are used after their call). */
  private readonly times = new Map<number, Buffer>();
  private readonly placed: Placed[] = [];
  /** Per column ≥ 2, the next block it is to fill. */
  private readonly next: number[];
  /** Time rows placed: every one must belong to a block of the first price column. */
  private timesUsed = 0;

  constructor(
    capacity: number,
    private readonly fields: FieldSet,
    private readonly range: { fromMs: number; toMs: number; stepMs: number },
  ) {
    this.capacity = Math.max(1, capacity);
    ({ buffer: this.buffer, columns: this.prices } = allocateColumns(this.capacity, fields.length));
    this.bytes = new Uint8Array(this.buffer);
    this.next = new Array<number>(1 + fields.length).fill(0);
  }

  add(row: CandleBlockColumn): void {
    if (row.column === 0) {
      if (this.placed.length) throw new Error(`candle block time of instrument ${row.instrumentId} after its prices`);
      this.times.set(row.blockMs, Buffer.from(row.bytes));
      return;
    }
    if (row.column === 1) return this.place(row);
    const block = this.placed[this.next[row.column]!++];
    if (block?.blockMs !== row.blockMs || block.barCount !== row.barCount) {
      throw new Error(`candle block columns of instrument ${row.instrumentId} disagree at ${new Date(row.blockMs).toISOString()}`);
    }
    if (block.to > block.from) this.bytes.set(row.bytes.subarray(block.from * 8, block.to * 8), this.prices[row.column - 1]!.byteOffset + block.at * 8);
  }

  /** The first price column's block: clipped to the range, appended with its times. */
  private place(row: CandleBlockColumn): void {
    const { fromMs, toMs, stepMs } = this.range;
    const previous = this.placed.at(-1);
    if (previous && previous.blockMs >= row.blockMs) throw new Error(`candle blocks of instrument ${row.instrumentId} out of time order at ${new Date(row.blockMs).toISOString()}`);
    const time = this.times.get(row.blockMs);
    if (time && time.length !== row.bytes.length) throw new Error(`candle block of instrument ${row.instrumentId}: ${time.length} bytes of time for ${row.barCount} bars`);
    if (time) this.timesUsed += 1;
    const from = blockLowerBound(time, row.barCount, row.firstMs, stepMs, fromMs);
    const to = blockLowerBound(time, row.barCount, row.firstMs, stepMs, toMs);
    const count = Math.max(0, to - from);
    this.placed.push({ blockMs: row.blockMs, barCount: row.barCount, at: this.length, from, to });
    if (!count) return;
    if (this.length + count > this.capacity) this.grow(this.length + count);
    if (!this.time) {
      const startMs = row.firstMs + from * stepMs;
      if (this.length === 0) this.firstMs = startMs;
      if (time || startMs !== this.firstMs + this.length * stepMs) this.materializeTime();
    }
    if (this.time) {
      const at = this.time.byteOffset + this.length * 8;
      if (time) new Uint8Array(this.time.buffer).set(time.subarray(from * 8, to * 8), at);
      else writeProgressionBE(new DataView(this.time.buffer, at, count * 8), row.firstMs + from * stepMs, stepMs, count);
    }
    this.bytes.set(row.bytes.subarray(from * 8, to * 8), this.prices[0]!.byteOffset + this.length * 8);
    this.length += count;
  }

  /** The time column, written with the bars placed so far (one step apart from firstMs). */
  private materializeTime(): void {
    this.time = sharedColumn(this.capacity);
    writeProgressionBE(new DataView(this.time.buffer, 0, this.length * 8), this.firstMs, this.range.stepMs, this.length);
  }

  private grow(needed: number): void {
    const capacity = Math.max(needed, this.capacity * 2);
    const next = allocateColumns(capacity, this.fields.length);
    for (let c = 0; c < this.prices.length; c++) next.columns[c]!.set(this.prices[c]!.subarray(0, this.length));
    this.buffer = next.buffer;
    this.bytes = new Uint8Array(this.buffer);
    this.prices = next.columns;
    if (this.time) {
      const time = sharedColumn(capacity);
      time.set(this.time.subarray(0, this.length));
      this.time = time;
    }
    this.capacity = capacity;
  }

  finish(instrumentId: number): SharedCandles {
    if (this.timesUsed !== this.times.size) throw new Error(`candle blocks of instrument ${instrumentId}: ${this.times.size - this.timesUsed} time rows without their block`);
    for (let c = 2; c < 1 + this.fields.length; c++) {
      if (this.next[c] !== this.placed.length) throw new Error(`candle blocks of instrument ${instrumentId}: ${this.fields[c - 1]} has ${this.next[c]} blocks, ${this.fields[0]} ${this.placed.length}`);
    }
    const n = this.length;
    for (const column of this.time ? [this.time, ...this.prices] : this.prices) Buffer.from(column.buffer, column.byteOffset, n * 8).swap64();
    const time = this.time ?? progressionColumn(this.firstMs, this.range.stepMs, n);
    const bytes = (this.fields.length + 1) * 8 * n;
    // Over a third of the room unused (a sparse range): keep an exact copy, so the cache
    // accounts for what the candles take.
    if (n < (this.capacity * 2) / 3) {
      const exact = allocateColumns(n, this.fields.length).columns;
      this.prices.forEach((column, c) => exact[c]!.set(column.subarray(0, n)));
      let exactTime = time;
      if (this.time) {
        exactTime = sharedColumn(n);
        exactTime.set(time.subarray(0, n));
      }
      return { candles: view(exactTime, exact, n, this.fields), fields: this.fields, bytes };
    }
    return { candles: view(time, this.prices, n, this.fields), fields: this.fields, bytes: this.capacity * 8 * (this.fields.length + 1) };
  }
}

/** `count` times from `startMs`, `stepMs` apart, big-endian (as the stored columns are, until finish() swaps them). */
function writeProgressionBE(into: DataView, startMs: number, stepMs: number, count: number): void {
  for (let i = 0; i < count; i++) into.setFloat64(i * 8, startMs + i * stepMs);
}

/**
 * Collects the block columns of many instruments (instrument by instrument, as
 * findCandleBlocks yields them) into each instrument's candles in [fromMs, toMs), clipping
 * the first and last block. `capacityOf` estimates an instrument's bars (it grows by
 * doubling past that). An instrument's candles are complete when the next instrument's
 * first row arrives: `onComplete` gets them then (and the last one's at finish), so its
 * runs can start while the others are still being read.
 */
export class BlockAssembler {
  private current: { id: number; assembly: Assembly } | null = null;
  private readonly done = new Map<number, SharedCandles>();

  /** `stepMs`: the base interval's fixed width, the distance between the bars of a block without a time row. */
  constructor(
    private readonly fromMs: number,
    private readonly toMs: number,
    private readonly fields: FieldSet,
    private readonly stepMs: number,
    private readonly capacityOf: (instrumentId: number) => number,
    private readonly onComplete: (instrumentId: number, candles: SharedCandles) => void = () => undefined,
  ) {}

  /** A block's column: time (only for a block with gaps) or one of the fields, `barCount` big-endian float8. */
  add(row: CandleBlockColumn): void {
    const { instrumentId, barCount, column } = row;
    if (!Number.isInteger(column) || column < 0 || column > this.fields.length || row.bytes.length !== barCount * 8) {
      throw new Error(`candle block of instrument ${instrumentId}: column ${column}, ${row.bytes.length} bytes for ${barCount} bars`);
    }
    if (this.current?.id !== instrumentId) {
      if (this.current && this.done.has(instrumentId)) throw new Error(`candle blocks of instrument ${instrumentId} out of order`);
      this.complete();
      this.current = { id: instrumentId, assembly: new Assembly(this.capacityOf(instrumentId), this.fields, { fromMs: this.fromMs, toMs: this.toMs, stepMs: this.stepMs }) };
    }
    this.current.assembly.add(row);
  }

  /** Every instrument's candles (those with no bar in the range are absent). */
  finish(): Map<number, SharedCandles> {
    this.complete();
    return this.done;
  }

  private complete(): void {
    if (!this.current) return;
    const { id, assembly } = this.current;
    this.current = null;
    const candles = assembly.finish(id);
    if (!assembly.length) return;
    this.done.set(id, candles);
    this.onComplete(id, candles);
  }
}

/**
 * Candles at a coarser interval, bucketed as time_bucket does (fixed widths from 2000-01-03,
 * months from 2000-01-01, UTC): first open, highest high, lowest low, last close, summed
 * volume — the SQL regrouping of the candles query, done on columns already in memory.
 */
export function regroupCandles(source: SharedCandles, spec: IntervalSpec): SharedCandles {
  const { candles, fields } = source;
  const n = candles.time.length;
  let buckets = 0;
  let last = Number.NaN;
  for (let i = 0; i < n; i++) {
    const b = bucketStart(spec, candles.time[i]!);
    if (b !== last) {
      buckets += 1;
      last = b;
    }
  }
  const { columns } = allocate(buckets, fields);
  const out = view(columns[0]!, columns.slice(1), buckets, fields);
  const present = new Set(fields);
  // Absent columns stay NaN: only what the candles carry is aggregated.
  const { time, open, high, low, close, volume } = out;
  let k = -1;
  last = Number.NaN;
  for (let i = 0; i < n; i++) {
    const b = bucketStart(spec, candles.time[i]!);
    if (b !== last) {
      k += 1;
      last = b;
      time[k] = b;
      if (present.has('open')) open[k] = candles.open[i]!;
      if (present.has('high')) high[k] = candles.high[i]!;
      if (present.has('low')) low[k] = candles.low[i]!;
      if (present.has('close')) close[k] = candles.close[i]!;
      if (present.has('volume')) volume[k] = candles.volume[i]!;
      continue;
    }
    if (present.has('high') && candles.high[i]! > high[k]!) high[k] = candles.high[i]!;
    if (present.has('low') && candles.low[i]! < low[k]!) low[k] = candles.low[i]!;
    if (present.has('close')) close[k] = candles.close[i]!;
    if (present.has('volume')) volume[k] = volume[k]! + candles.volume[i]!;
  }
  return { candles: out, fields, bytes: buckets * 8 * columns.length };
}
