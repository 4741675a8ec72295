import { describe, expect, it } from '@jest/globals';
import { BlockAssembler, progressionColumn, sharedCandlesFromBytes, type CandleBlockColumn, type SharedCandles } from './candle-blocks.js';

/**
 * BlockAssembler on block columns as findCandleBlocks hands them over (time rows of blocks
 * with gaps first, then column by column in time order), without a database: placement,
 * clipping, growth, and the order and consistency checks that turn a wrong read into an
 * error instead of wrong candles. (test/market-data/candle-blocks.test.ts reads real blocks.)
 */
const STEP = 60_000;

/** A block of `times` (ms) with open = t/STEP and close = −t/STEP, as rows per column. */
function block(instrumentId: number, blockMs: number, times: number[], withTime: boolean): { time: CandleBlockColumn | null; open: CandleBlockColumn; close: CandleBlockColumn } {
  const column = (values: number[], column: number): CandleBlockColumn => {
    const bytes = Buffer.alloc(values.length * 8);
    values.forEach((v, i) => bytes.writeDoubleBE(v, i * 8));
    return { instrumentId, column, blockMs, barCount: times.length, firstMs: times[0]!, bytes };
  };
  return {
    time: withTime ? column(times, 0) : null,
    open: column(times.map((t) => t / STEP), 1),
    close: column(times.map((t) => -t / STEP), 2),
  };
}

const range = (from: number, count: number, step = 1) => Array.from({ length: count }, (_, i) => (from + i * step) * STEP);

function assemble(rows: CandleBlockColumn[], fromMs: number, toMs: number, capacity = 1_000): Map<number, SharedCandles> {
  const assembler = new BlockAssembler(fromMs, toMs, ['open', 'close'], STEP, () => capacity);
  for (const row of rows) assembler.add(row);
  return assembler.finish();
}

describe('BlockAssembler', () => {
  // Instrument 1: a gapless block [0, 10), a block with gaps [10, 20) (every other minute).
  // Instrument 2: one gapless block [0, 10).
  const a0 = block(1, 0, range(0, 10), false);
  const a1 = block(1, 10 * STEP, range(10, 5, 2), true);
  const b0 = block(2, 0, range(0, 10), false);
  const rows = [a1.time!, a0.open, a1.open, a0.close, a1.close, b0.open, b0.close];

  it('places each block once and fills every column from it, clipped to the range, with gapless times rebuilt', () => {
    for (const capacity of [1_000, 2]) {
      // capacity 2: the columns grow (by doubling) while the first price column is placed.
      const out = assemble(rows, 3 * STEP, 16 * STEP, capacity);
      const expected = [3, 4, 5, 6, 7, 8, 9, 10, 12, 14];
      const a = out.get(1)!.candles;
      expect(Array.from(a.time)).toEqual(expected.map((m) => m * STEP));
      expect(Array.from(a.open)).toEqual(expected);
      expect(Array.from(a.close)).toEqual(expected.map((m) => -m));
      expect(a.high.every(Number.isNaN)).toBe(true);
      expect(Array.from(out.get(2)!.candles.close)).toEqual(range(3, 7).map((t) => -t / STEP));
    }
  });

  it('leaves out an instrument with no bar in the range', () => {
    const out = assemble(rows, 20 * STEP, 30 * STEP);
    expect([...out.keys()]).toEqual([]);
  });

  it('rejects blocks out of time order', () => {
    expect(() => assemble([a0.open, a0.open], 0, 30 * STEP)).toThrow(/out of time order/);
  });

  it('rejects a column whose blocks disagree with the first price column’s', () => {
    const shorter = { ...a1.close, barCount: 4, bytes: a1.close.bytes.subarray(0, 32) };
    expect(() => assemble([a1.time!, a0.open, a1.open, a0.close, shorter], 0, 30 * STEP)).toThrow(/disagree/);
    expect(() => assemble([a1.time!, a0.open, a1.open, a1.close], 0, 30 * STEP)).toThrow(/disagree/);
  });

  it('rejects a column with fewer blocks than the first, and a time row without its block', () => {
    expect(() => assemble([a1.time!, a0.open, a1.open, a0.close], 0, 30 * STEP)).toThrow(/close has 1 blocks, open 2/);
    expect(() => assemble([a1.time!, a0.open, a0.close], 0, 30 * STEP)).toThrow(/1 time rows without their block/);
  });

  it('rejects an instrument that comes back after another, and bytes that do not match the bar count', () => {
    expect(() => assemble([a0.open, a0.close, b0.open, b0.close, a1.open], 0, 30 * STEP)).toThrow(/out of order/);
    expect(() => assemble([{ ...a0.open, barCount: 11 }], 0, 30 * STEP)).toThrow(/80 bytes for 11 bars/);
  });

  it('gives gapless instruments over one range one shared time column, and writes one only where a block has a time row or a gap', () => {
    const gapless = [b0.open, b0.close, block(3, 0, range(0, 10), false).open, block(3, 0, range(0, 10), false).close];
    for (const capacity of [1_000, 2]) {
      const out = assemble(gapless, 2 * STEP, 8 * STEP, capacity);
      const [two, three] = [out.get(2)!.candles, out.get(3)!.candles];
      expect(Array.from(two.time)).toEqual(range(2, 6));
      expect(three.time.buffer).toBe(two.time.buffer);
      expect(two.time.buffer).toBe(progressionColumn(2 * STEP, STEP, 6).buffer);
      expect(two.time.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Array.from(three.open)).toEqual([2, 3, 4, 5, 6, 7]);
    }
    // Two gapless blocks with a block missing between them: times written from the gap on.
    const c0 = block(4, 0, range(0, 10), false);
    const c2 = block(4, 20 * STEP, range(20, 10), false);
    const gap = assemble([c0.open, c2.open, c0.close, c2.close], 5 * STEP, 25 * STEP, 2).get(4)!.candles;
    expect(Array.from(gap.time)).toEqual([...range(5, 5), ...range(20, 5)]);
    expect(gap.time.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(gap.close)).toEqual([5, 6, 7, 8, 9, 20, 21, 22, 23, 24].map((m) => -m));
    // The block with gaps of instrument 1 (a time row): its own column, not a shared one.
    const own = assemble(rows, 0, 30 * STEP).get(1)!.candles;
    expect(own.time.buffer).not.toBe(progressionColumn(own.time[0]!, STEP, own.time.length).buffer);
    expect(own.time.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('shares the time of cached candles (the L2 form) when their bars are one step apart, and copies it otherwise', () => {
    const encode = (time: number[], close: number[]) => {
      const bytes = Buffer.alloc(time.length * 16 + 4).subarray(4); // unaligned, as after the cache's header
      time.forEach((t, i) => bytes.writeDoubleLE(t, i * 8));
      close.forEach((c, i) => bytes.writeDoubleLE(c, (time.length + i) * 8));
      return bytes;
    };
    const even = sharedCandlesFromBytes(encode(range(100, 4), [1, 2, 3, 4]), 4, ['close']);
    expect(even.candles.time.buffer).toBe(progressionColumn(100 * STEP, STEP, 4).buffer);
    expect(Array.from(even.candles.close)).toEqual([1, 2, 3, 4]);
    expect(even.candles.close.buffer).toBeInstanceOf(SharedArrayBuffer);
    // Equal ends, uneven inside: copied as they are.
    const uneven = [100, 101, 103, 103.5].map((m) => m * STEP);
    const odd = sharedCandlesFromBytes(encode([uneven[0]!, uneven[1]!, uneven[2]!, 103 * STEP], [1, 2, 3, 4]), 4, ['close']);
    expect(Array.from(odd.candles.time)).toEqual([100, 101, 103, 103].map((m) => m * STEP));
    expect(odd.candles.time.buffer).not.toBe(progressionColumn(100 * STEP, STEP, 4).buffer);
    expect(odd.candles.time.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(odd.candles.close)).toEqual([1, 2, 3, 4]);
  });
});
