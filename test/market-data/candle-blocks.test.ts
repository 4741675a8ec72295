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
const SPAN = 160 * MINUTE; // a 1m instrument's block
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

  async function storedBlocks(instrumentId: number) {
    const { rows } = await deps.db.pool.query<{ start: number; n: number; first: number; last: number; columns: Buffer }>(
      `SELECT (extract(epoch FROM block_start) * 1000)::float8 AS start, bar_count AS n,
              (extract(epoch FROM first_ts) * 1000)::float8 AS first, (extract(epoch FROM last_ts) * 1000)::float8 AS last, columns
       FROM candle_block WHERE instrument_id = $1 ORDER BY block_start`,
      [instrumentId],
    );
    return rows;
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
        // Blocks: aligned spans, in order, together holding every row exactly once.
        let at = 0;
        for (const block of blocks) {
          expect(block.start % SPAN).toBe(0);
          const inSpan = rows.filter((r) => r.t >= block.start && r.t < block.start + SPAN);
          expect(block.n).toBe(inSpan.length);
          expect([block.first, block.last]).toEqual([inSpan[0]!.t, inSpan.at(-1)!.t]);
          expect(block.columns.length).toBe(block.n * 48);
          const column = (c: number) => Array.from({ length: block.n }, (_, i) => block.columns.readDoubleBE((c * block.n + i) * 8));
          expect(column(0)).toEqual(inSpan.map((r) => r.t));
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

  it('sends a block’s time column only when its bars have gaps; the read path rebuilds gapless times exactly', async () => {
    const symbol = uniqueName('BLG');
    // Block 0 gapless; block 1 every third minute; block 2 gapless again but for one hole.
    const ops: Op[] = [
      { start: 0, length: 160, step: 1, seed: 7 },
      { start: 160, length: 53, step: 3, seed: 8 },
      { start: 320, length: 40, step: 1, seed: 9 },
      { start: 361, length: 119, step: 1, seed: 10 },
    ];
    let instrumentId = 0;
    for (const op of ops) instrumentId = (await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: opCandles(op) })).instrumentId;
    const fromMs = ANCHOR;
    const toMs = ANCHOR + 480 * MINUTE;
    const sent: Array<{ first: number; bars: number; time: boolean }> = [];
    await findCandleBlocks(deps.db.pool, { instrumentIds: [instrumentId], fromMs, toMs, fields: ['close'], stepMs: MINUTE }, (b) =>
      sent.push({ first: b.firstMs, bars: b.barCount, time: b.time !== null }),
    );
    expect(sent).toEqual([
      { first: ANCHOR, bars: 160, time: false },
      { first: ANCHOR + 160 * MINUTE, bars: 53, time: true },
      { first: ANCHOR + 320 * MINUTE, bars: 159, time: true },
    ]);
    const rows = await storedRows(instrumentId);
    // Clipped inside the gapless block and inside the gappy one, and the whole span.
    for (const [a, b] of [[0, 480], [17, 200], [159, 161], [100, 330]] as const) {
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
      expect(Array.from(loaded!.close)).toEqual(expected.map((r) => r.close));
      expect(Array.from(loaded!.open)).toEqual(expected.map((r) => r.open));
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
