import { TradeLog } from './trade-log.js';

/**
 * The work buffers of one engine: indicator and signal arrays that never leave a run, and
 * the trade log the simulator appends to.
 *
 * Allocating a fresh 8 MB Float64Array costs several milliseconds (zeroed pages, external
 * memory pressure on the GC) — more than computing an SMA over a million bars — so a caller
 * that runs many backtests (an engine thread) owns one WorkBuffers and passes it to every
 * run. The engine is synchronous, so one run never sees another's data as long as a
 * WorkBuffers is used by one run at a time (one per thread). Arrays returned to callers
 * (equity, drawdown, trade columns) are always freshly allocated.
 * Buffers only grow (to the largest run seen); contents are garbage until written.
 */
export class WorkBuffers {
  private readonly float64Buffers: Float64Array[] = [];
  private int8Buffer = new Int8Array(0);
  /** Trades of the current run (reset by each run). */
  readonly trades = new TradeLog();

  /** A Float64Array view of exactly `length` elements; distinct `slot`s never overlap. */
  float64(slot: number, length: number): Float64Array {
    let buffer = this.float64Buffers[slot];
    if (!buffer || buffer.length < length) {
      buffer = new Float64Array(length);
      this.float64Buffers[slot] = buffer;
    }
    return buffer.length === length ? buffer : buffer.subarray(0, length);
  }

  /** An Int8Array view of exactly `length` elements. */
  int8(length: number): Int8Array {
    if (this.int8Buffer.length < length) this.int8Buffer = new Int8Array(length);
    return this.int8Buffer.length === length ? this.int8Buffer : this.int8Buffer.subarray(0, length);
  }
}

/** Allocates fresh arrays every time: for callers that run once (tests, one-off use). */
export class FreshWorkBuffers extends WorkBuffers {
  override float64(_slot: number, length: number): Float64Array {
    return new Float64Array(length);
  }

  override int8(length: number): Int8Array {
    return new Int8Array(length);
  }
}
