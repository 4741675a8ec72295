import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Runtime } from '../../src/deps.js';
import type { Candles } from '../../src/engine/index.js';
import { createRng } from '../../src/engine/testing/synthetic-candles.js';
import { findCandleBlocks } from '../../src/modules/market-data/candle.store.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';

/**
 * The columnar blocks backtests read (candle_block) always equal the candle rows they
 * summarise: after random ingests, overlapping updates and identical re-ingests, on both
 * dialects — block by block (aligned, complete, exact to the bit), and through the read
 * path (clipped ranges, and coarser intervals regrouped in memory, against the SQL path).
 */
const timescale = process.env.TEST_TIMESCALEDB === '1';
const targets = [
  { name: 'portable', url: process.env.TEST_PORTABLE_DATABASE_URL! },
  ...(timescale ? [{ name: 'timescaledb', url: process.env.TEST_DATABASE_URL! }] : []),
];

const MINUTE = 60_000;
const BLOCK_BARS = 960;
const SPAN = BLOCK_BARS * MINUTE; // a 1m instrument's block
const ANCHOR = Math.ceil(Date.UTC(2024, 6, 1) / SPAN) * SPAN; // aligned, so the ingests straddle block edges

interface Op {
  /** First bar, in minutes from ANCHOR. */
  start: number;
  length: number;
  step: number;
  seed: number;
}

function opCandles(op: Op): Candles {
  const rnd = createRng(op.seed);
  const n = op.length;
  const c = { time: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const open = 50 + rnd() * 100;
    const close = 50 + rnd() * 100;
    c.time[i] = ANCHOR + (op.start + i * op.step) * MINUTE;
    c.open[i] = open;
    c.close[i] = close;
    c.high[i] = Math.max(open, close) + rnd();
    c.low[i] = Math.min(open, close) - rnd();
    c.volume[i] = rnd() * 1e6;
  }
  return c;
}

const opArbitrary = fc.record({
  start: fc.integer({ min: -2600, max: 2600 }),
  length: fc.integer({ min: 1, max: 700 }),
  step: fc.constantFrom(1, 1, 3, 11),
  seed: fc.integer(),
});

describe.each(targets)('candle blocks ($name)', ({ url }) => {
  let deps: Runtime;
  beforeAll(async () => {
    deps = await createTestDeps({ DATABASE_URL: url });
  });
  afterAll(async () => deps.close());

  async function storedRows(instrumentId: number) {
    const { rows } = await deps.db.pool.query<{ t: number; open: number; high: number; low: number; close: number; volume: number }>(
      `SELECT (extract(epoch FROM ts) * 1000)::float8 AS t, open, high, low, close, volume FROM candle WHERE instrument_id = $1 ORDER BY ts`,
      [instrumentId],
    );
    return rows;
  }

  /** The stored rows of each block (a row per column), by block start. */
  async function storedBlocks(instrumentId: number) {
    const { rows } = await deps.db.pool.query<{ start: number; field: number; n: number; first: number; last: number; high_max: number; low_min: number; bytes: Buffer }>(
      `SELECT (extract(epoch FROM block_start) * 1000)::float8 AS start, field, bar_count AS n,
              (extract(epoch FROM first_ts) * 1000)::float8 AS first, (extract(epoch FROM last_ts) * 1000)::float8 AS last, high_max, low_min, bytes
       FROM candle_block WHERE instrument_id = $1 ORDER BY block_start, field`,
      [instrumentId],
    );
    const blocks = new Map<number, typeof rows>();
    for (const row of rows) blocks.set(row.start, [...(blocks.get(row.start) ?? []), row]);
    return [...blocks.values()];
  }

  it('every block equals the rows of its span after random ingests, updates and re-ingests', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 4 }), fc.boolean(), async (ops, repeatFirst) => {
        const symbol = uniqueName('BLK');
        const sequence = repeatFirst ? [...ops, ops[0]!] : ops;
        let instrumentId = 0;
        for (const op of sequence) {
          instrumentId = (await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: opCandles(op) })).instrumentId;
        }
        const rows = await storedRows(instrumentId);
        const blocks = await storedBlocks(instrumentId);
        // Blocks: aligned spans, in order, together holding every row exactly once; each a row
        // per column that agree on what the block is, the time row only when it has gaps.
        let at = 0;
        for (const columns of blocks) {
          const block = columns.find((c) => c.field === 1)!;
          expect(block.start % SPAN).toBe(0);
          const inSpan = rows.filter((r) => r.t >= block.start && r.t < block.start + SPAN);
          expect(block.n).toBe(inSpan.length);
          expect([block.first, block.last]).toEqual([inSpan[0]!.t, inSpan.at(-1)!.t]);
          const gapless = block.last - block.first === (block.n - 1) * MINUTE;
          expect(columns.map((c) => c.field)).toEqual(gapless ? [1, 2, 3, 4, 5] : [0, 1, 2, 3, 4, 5]);
          for (const c of columns) {
            expect([c.n, c.first, c.last, c.bytes.length]).toEqual([block.n, block.first, block.last, block.n * 8]);
            expect([c.high_max, c.low_min]).toEqual([Math.max(...inSpan.map((r) => r.high)), Math.min(...inSpan.map((r) => r.low))]);
          }
          const column = (field: number) => {
            const bytes = columns.find((c) => c.field === field)!.bytes;
            return Array.from({ length: block.n }, (_, i) => bytes.readDoubleBE(i * 8));
          };
          if (!gapless) expect(column(0)).toEqual(inSpan.map((r) => r.t));
          expect(column(1)).toEqual(inSpan.map((r) => r.open));
          expect(column(2)).toEqual(inSpan.map((r) => r.high));
          expect(column(3)).toEqual(inSpan.map((r) => r.low));
          expect(column(4)).toEqual(inSpan.map((r) => r.close));
          expect(column(5)).toEqual(inSpan.map((r) => r.volume));
          at += block.n;
        }
        expect(at).toBe(rows.length);
      }),
      { numRuns: 12 },
    );
  }, 120_000);

  it('reads a block’s time row only when its bars have gaps, and only the asked-for columns; the read path rebuilds gapless times exactly', async () => {
    const symbol = uniqueName('BLG');
    // Block 0 gapless; block 1 every third minute; block 2 gapless again but for one hole.
    const ops: Op[] = [
      { start: 0, length: 960, step: 1, seed: 7 },
      { start: 960, length: 320, step: 3, seed: 8 },
      { start: 1920, length: 240, step: 1, seed: 9 },
      { start: 2161, length: 719, step: 1, seed: 10 },
    ];
    let instrumentId = 0;
    for (const op of ops) instrumentId = (await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: opCandles(op) })).instrumentId;
    const fromMs = ANCHOR;
    const toMs = ANCHOR + 2880 * MINUTE;
    const sent: Array<{ column: number; first: number; bars: number }> = [];
    await findCandleBlocks(deps.db.pool, { instrumentIds: [instrumentId], fromMs, toMs, fields: ['close'], stepMs: MINUTE }, (b) => sent.push({ column: b.column, first: b.firstMs, bars: b.barCount }));
    // Time rows of the blocks with gaps first, then the close column, each in time order.
    expect(sent).toEqual([
      { column: 0, first: ANCHOR + 960 * MINUTE, bars: 320 },
      { column: 0, first: ANCHOR + 1920 * MINUTE, bars: 959 },
      { column: 1, first: ANCHOR, bars: 960 },
      { column: 1, first: ANCHOR + 960 * MINUTE, bars: 320 },
      { column: 1, first: ANCHOR + 1920 * MINUTE, bars: 959 },
    ]);
    const rows = await storedRows(instrumentId);
    // Clipped inside the gapless block and inside the gappy one, and the whole span.
    for (const [a, b] of [[0, 2880], [17, 1200], [959, 961], [600, 1990], [2100, 2200]] as const) {
      const from = ANCHOR + a * MINUTE;
      const to = ANCHOR + b * MINUTE;
      const loaded = (await deps.services.marketData.loadCandlesForRuns([instrumentId], '1m', new Date(from), new Date(to), { columns: ['time', 'close'] })).get(instrumentId)!;
      const expected = rows.filter((r) => r.t >= from && r.t < to);
      expect(Array.from(loaded.time)).toEqual(expected.map((r) => r.t));
      expect(Array.from(loaded.close)).toEqual(expected.map((r) => r.close));
    }
  });

  it('serves backtests exactly the stored bars of any range, and coarser intervals as the SQL aggregation does', async () => {
    const symbol = uniqueName('BLR');
    const ops: Op[] = [
      { start: -2500, length: 5000, step: 1, seed: 1 },
      { start: -100, length: 300, step: 2, seed: 2 }, // updates across a block edge
    ];
    let instrumentId = 0;
    for (const op of ops) instrumentId = (await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: opCandles(op) })).instrumentId;
    const rows = await storedRows(instrumentId);
    const ranges: Array<[number, number]> = [
      [-2500, 2500],
      [-2049, 7], // starts inside the first block, ends inside the next
      [100, 101],
      [-4000, -3000], // no bars
    ];
    for (const [a, b] of ranges) {
      const from = ANCHOR + a * MINUTE;
      const to = ANCHOR + b * MINUTE;
      const loaded = (await deps.services.marketData.loadCandlesForRuns([instrumentId], '1m', new Date(from), new Date(to))).get(instrumentId);
      const expected = rows.filter((r) => r.t >= from && r.t < to);
      if (expected.length === 0) {
        expect(loaded).toBeUndefined();
        continue;
      }
      expect(Array.from(loaded!.time)).toEqual(expected.map((r) => r.t));
      for (const field of ['open', 'high', 'low', 'close', 'volume'] as const) expect(Array.from(loaded![field])).toEqual(expected.map((r) => r[field]));
      expect(loaded!.time.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    // 15m from raw blocks regrouped in memory vs the candles query's SQL time_bucket.
    const from = new Date(ANCHOR - 2400 * MINUTE);
    const to = new Date(ANCHOR + 2400 * MINUTE);
    const regrouped = (await deps.services.marketData.loadCandlesForRuns([instrumentId], '15m', from, to)).get(instrumentId)!;
    const sql = (await deps.services.marketData.getCandleSeries({ symbol, interval: '15m', from, to })).candles;
    expect(Array.from(regrouped.time)).toEqual(Array.from(sql.time));
    for (const field of ['open', 'high', 'low', 'close'] as const) expect(Array.from(regrouped[field])).toEqual(Array.from(sql[field]));
    regrouped.volume.forEach((v, i) => expect(v).toBeCloseTo(sql.volume[i]!, 6));

    // A read of some columns (what a run reads): those exact, the others NaN — raw and regrouped.
    const columns = ['time', 'open', 'close'];
    const partial = (await deps.services.marketData.loadCandlesForRuns([instrumentId], '1m', from, to, { columns })).get(instrumentId)!;
    const expected = rows.filter((r) => r.t >= from.getTime() && r.t < to.getTime());
    expect([Array.from(partial.time), Array.from(partial.open), Array.from(partial.close)]).toEqual([expected.map((r) => r.t), expected.map((r) => r.open), expected.map((r) => r.close)]);
    for (const field of ['high', 'low', 'volume'] as const) expect(partial[field].every(Number.isNaN)).toBe(true);
    const partialRegrouped = (await deps.services.marketData.loadCandlesForRuns([instrumentId], '15m', from, to, { columns })).get(instrumentId)!;
    expect([Array.from(partialRegrouped.time), Array.from(partialRegrouped.open), Array.from(partialRegrouped.close)]).toEqual([Array.from(sql.time), Array.from(sql.open), Array.from(sql.close)]);
    expect(partialRegrouped.high.every(Number.isNaN)).toBe(true);
  });
});
