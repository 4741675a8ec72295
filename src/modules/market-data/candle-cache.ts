import { LRUCache } from 'lru-cache';
import type { BinaryStore } from '../../cache/redis-binary-store.js';
import type { Logger } from '../../lib/logger.js';
import { PRICE_FIELDS, sharedCandlesFromBytes, type SharedCandles } from './candle-blocks.js';

/**
 * The candle cache of backtests (DESIGN.md §6), two levels:
 *  - L1, in process: `lru-cache` bounded in bytes; values are candles on SharedArrayBuffers,
 *    so engine threads read them without a copy;
 *  - L2, Redis (when configured): a compact binary form (a header, then the float64 columns
 *    the candles carry, as they are in memory), shared by every process; ranges that end in
 *    the past live longer.
 * Keys carry the instrument's data version, so an ingest invalidates by changing it: old
 * entries are never read again and age out (no KEYS or SCAN). A Redis failure is a miss.
 */

const MAGIC = 0x32435151; // "QQC2", little-endian
const HEADER = 12;
/** L2 lifetimes: a range that ends in the past cannot gain bars; one reaching now can. */
const TTL_PAST_SECONDS = 24 * 3600;
const TTL_RECENT_SECONDS = 5 * 60;

export interface CandleCacheStats {
  l1: { hits: number; misses: number; entries: number; bytes: number; maxBytes: number };
  l2: { hits: number; misses: number; errors: number } | null;
}

export interface CandleCacheOptions {
  /** 0 turns the in-process level off (a process that runs no backtests). */
  l1MaxBytes: number;
  l2: BinaryStore | null;
  logger: Logger;
  now?: () => number;
}

/**
 * The L2 form: header (magic, bar count, which price columns: bit k for PRICE_FIELDS[k]),
 * then time and those columns, little-endian.
 */
export function encodeCandles(value: SharedCandles): Buffer {
  const c = value.candles;
  const n = c.time.length;
  const columns = [c.time, ...value.fields.map((f) => c[f])];
  const out = Buffer.allocUnsafe(HEADER + n * 8 * columns.length);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(n, 4);
  out.writeUInt32LE(value.fields.reduce((mask, f) => mask | (1 << PRICE_FIELDS.indexOf(f)), 0), 8);
  columns.forEach((column, k) => out.set(new Uint8Array(column.buffer, column.byteOffset, n * 8), HEADER + k * n * 8));
  return out;
}

export function decodeCandles(bytes: Buffer): SharedCandles | null {
  if (bytes.length < HEADER || bytes.readUInt32LE(0) !== MAGIC) return null;
  const n = bytes.readUInt32LE(4);
  const mask = bytes.readUInt32LE(8);
  const fields = PRICE_FIELDS.filter((_, k) => mask & (1 << k));
  if (mask >= 1 << PRICE_FIELDS.length || bytes.length !== HEADER + n * 8 * (1 + fields.length)) return null;
  return sharedCandlesFromBytes(bytes.subarray(HEADER), n, fields);
}

export class CandleCache {
  private readonly l1: LRUCache<string, SharedCandles> | null;
  private readonly counts = { l1Hits: 0, l1Misses: 0, l2Hits: 0, l2Misses: 0, l2Errors: 0 };
  private readonly now: () => number;
  /** L2 writes in flight (see settled). */
  private readonly writing = new Set<Promise<void>>();

  constructor(private readonly options: CandleCacheOptions) {
    this.l1 = options.l1MaxBytes > 0 ? new LRUCache({ maxSize: options.l1MaxBytes, sizeCalculation: (v) => Math.max(1, v.bytes) }) : null;
    this.now = options.now ?? Date.now;
  }

  /** Whether there is a level shared between processes (L2). */
  get shared(): boolean {
    return this.options.l2 !== null;
  }

  /** The cached candles of `keys` (L1, then L2 for what L1 lacks, in one round trip); misses are absent. */
  async getMany(keys: readonly string[]): Promise<Map<string, SharedCandles>> {
    const found = new Map<string, SharedCandles>();
    const missing: string[] = [];
    for (const key of keys) {
      const hit = this.l1?.get(key);
      if (hit) found.set(key, hit);
      else missing.push(key);
    }
    if (this.l1) {
      this.counts.l1Hits += found.size;
      this.counts.l1Misses += missing.length;
    }
    const { l2 } = this.options;
    if (!l2 || missing.length === 0) return found;
    let values: Array<Buffer | null>;
    try {
      values = await l2.getMany(missing);
    } catch (error) {
      this.counts.l2Errors += 1;
      this.options.logger.debug({ err: error }, 'candle cache L2 unavailable: read bypassed');
      return found;
    }
    missing.forEach((key, i) => {
      const value = values[i] ? decodeCandles(values[i]!) : null;
      if (!value) {
        this.counts.l2Misses += 1;
        return;
      }
      this.counts.l2Hits += 1;
      found.set(key, value);
      this.l1?.set(key, value);
    });
    return found;
  }

  /** Caches candles in this process (L1); `share` copies them to the shared level. */
  put(key: string, value: SharedCandles): void {
    this.l1?.set(key, value);
  }

  /**
   * Writes candles to the shared level (L2). Not awaited (see settled): it never slows the
   * caller, and its failure is only counted.
   */
  share(key: string, value: SharedCandles, rangeEndMs: number): void {
    const { l2 } = this.options;
    if (!l2) return;
    const ttl = rangeEndMs <= this.now() ? TTL_PAST_SECONDS : TTL_RECENT_SECONDS;
    const write: Promise<void> = l2
      .set(key, encodeCandles(value), ttl)
      .catch((error: unknown) => {
        this.counts.l2Errors += 1;
        this.options.logger.debug({ err: error }, 'candle cache L2 unavailable: write skipped');
      })
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }

  /** Resolves once the L2 writes started so far have landed (or failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.writing]);
  }

  stats(): CandleCacheStats {
    const c = this.counts;
    return {
      l1: { hits: c.l1Hits, misses: c.l1Misses, entries: this.l1?.size ?? 0, bytes: this.l1?.calculatedSize ?? 0, maxBytes: this.options.l1MaxBytes },
      l2: this.options.l2 ? { hits: c.l2Hits, misses: c.l2Misses, errors: c.l2Errors } : null,
    };
  }
}
