import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import {
  InstrumentCoverageDocument,
  InstrumentsDocument,
  MarketSummaryDocument,
  TopMoversDocument,
} from '../../examples/generated/graphql.js';
import { randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { execute, post } from '../helpers/graphql.js';

let deps: Deps;
let app: App;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const prefix = uniqueName('Q');

/** 40 days of hourly bars with a chosen final move, so changes are known exactly. */
function series(seed: number, lastMultiplier: number) {
  const c = randomCandles(seed, 40 * 24, Date.UTC(2024, 5, 1), HOUR);
  const n = c.time.length;
  const ref = c.close[n - 1 - 24]!;
  c.close[n - 1] = ref * lastMultiplier;
  c.high[n - 1] = Math.max(c.high[n - 1]!, c.open[n - 1]!, c.close[n - 1]!);
  c.low[n - 1] = Math.min(c.low[n - 1]!, c.open[n - 1]!, c.close[n - 1]!);
  return c;
}

/** What MarketSummary.sparkline should be: last close per 6-hour UTC slot over the 7 days to the last bar. */
function referenceSparkline(c: { time: Float64Array; close: Float64Array }): number[] {
  const last = c.time[c.time.length - 1]!;
  const slots = new Map<number, number>(); // insertion order = slot order (times ascend)
  c.time.forEach((t, i) => {
    if (t > last - 7 * DAY) slots.set(Math.floor(t / (6 * HOUR)), c.close[i]!);
  });
  return [...slots.values()];
}

// Extreme moves, so ours lead the shared database's movers lists whatever other tests stored.
const moves = { UP: 40, FLAT: 1.0, DOWN: 0.001 } as const;
const data = Object.fromEntries(Object.entries(moves).map(([k, m], i) => [k, series(100 + i, m)]));

beforeAll(async () => {
  deps = await createTestDeps({ AUTH_ANONYMOUS_READ: 'true' });
  app = createApp(deps);
  for (const [k, c] of Object.entries(data)) {
    await deps.services.marketData.ingestCandles({ symbol: `${prefix}${k}`, baseInterval: '1h', name: `${k.toLowerCase()} corp`, candles: c });
  }
});
afterAll(async () => deps.close());

describe('instruments and instrument', () => {
  it('searches by symbol prefix or name prefix (any case) and pages with cursors', async () => {
    const bySymbol = await execute(app, InstrumentsDocument, { search: prefix.toLowerCase(), first: 2 });
    const page1 = bySymbol.body.data!.instruments;
    expect(page1.edges.map((e) => e.node.symbol)).toEqual([`${prefix}DOWN`, `${prefix}FLAT`]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await execute(app, InstrumentsDocument, { search: prefix, first: 2, after: page1.pageInfo.endCursor });
    expect(page2.body.data!.instruments.edges.map((e) => e.node.symbol)).toEqual([`${prefix}UP`]);
    expect(page2.body.data!.instruments.pageInfo.hasNextPage).toBe(false);

    const node = page1.edges[0]!.node;
    expect(node.baseInterval).toBe('1h');
    const down = data.DOWN!;
    expect(node.latestCandle).toEqual({ time: new Date(down.time[down.time.length - 1]!).toISOString(), close: down.close[down.time.length - 1] });
    expect(node.summary!.change24h).toBeCloseTo(0.001 - 1, 12);
  });

  it('rejects an oversized page and an over-long search', async () => {
    const big = await execute(app, InstrumentsDocument, { first: 501 });
    expect(big.body.errors![0]!.message).toMatch(/instruments\(first: 501\): must be at most 500 \(GRAPHQL_MAX_PAGE_SIZE\)/);
    const negative = await execute(app, InstrumentsDocument, { first: -1 });
    expect(negative.body.errors![0]!.message).toMatch(/instruments\(first: -1\): must not be negative/);
    const long = await execute(app, InstrumentsDocument, { search: 'x'.repeat(65) });
    expect(long.body.errors![0]!.message).toMatch(/search: must be at most 64 characters/);
  });

  it('instrument(symbol) is null for an unknown symbol; node(id:) finds an instrument by its global id', async () => {
    const res = await post(app, { query: '{ instrument(symbol: "NOPE-NOPE") { symbol } }' });
    expect(res.body).toEqual({ data: { instrument: null } });
    const list = await execute(app, InstrumentsDocument, { search: `${prefix}UP`, first: 1 });
    const id = list.body.data!.instruments.edges[0]!.node.id;
    const byNode = await post(app, { query: `{ node(id: "${id}") { ... on Instrument { symbol } } }` });
    expect(byNode.body.data).toEqual({ node: { symbol: `${prefix}UP` } });
  });
});

describe('marketSummary and topMovers', () => {
  it('computes last price and 24 h / 7 d / 30 d changes against the close that far back', async () => {
    const { body } = await execute(app, MarketSummaryDocument, { symbols: [`${prefix}UP`, 'UNKNOWN-SYM'] });
    expect(body.data!.marketSummary).toHaveLength(1);
    const s = body.data!.marketSummary[0]!;
    const c = data.UP!;
    const n = c.time.length;
    const last = c.close[n - 1]!;
    expect(s.lastPrice).toBe(last);
    expect(s.change24h).toBeCloseTo(last / c.close[n - 1 - 24]! - 1, 12);
    expect(s.change7d).toBeCloseTo(last / c.close[n - 1 - 7 * 24]! - 1, 12);
    expect(s.change30d).toBeCloseTo(last / c.close[n - 1 - 30 * 24]! - 1, 12);
    expect(s.high24h).toBe(Math.max(...c.high.subarray(n - 24)));
    expect(s.low24h).toBe(Math.min(...c.low.subarray(n - 24)));
    expect(s.volume24h).toBeCloseTo(c.volume.subarray(n - 24).reduce((a, b) => a + b, 0), 6);
    expect(s.candleCount).toBe(n);
    expect(s.firstTime).toBe(new Date(c.time[0]!).toISOString());
  });

  it('gives a 7-day sparkline: the last close of each 6-hour UTC slot with data, oldest first', async () => {
    const { body } = await post(app, { query: 'query($s: [String!]) { marketSummary(symbols: $s) { symbol lastPrice sparkline } }', variables: { s: [`${prefix}UP`, `${prefix}DOWN`] } });
    const rows = (body.data as { marketSummary: Array<{ symbol: string; lastPrice: number; sparkline: number[] }> }).marketSummary;
    const bySymbol = new Map(rows.map((s) => [s.symbol, s]));
    for (const k of ['UP', 'DOWN'] as const) {
      const s = bySymbol.get(`${prefix}${k}`)!;
      expect(s.sparkline).toEqual(referenceSparkline(data[k]!));
      expect(s.sparkline).toHaveLength(28); // 168 hourly bars from a slot boundary
      expect(s.sparkline.at(-1)).toBe(s.lastPrice);
    }
  });

  it('skips empty slots in the sparkline and follows a re-ingest of the last bar', async () => {
    const symbol = `${prefix}HOLE`;
    const c = randomCandles(7, 10 * 24, Date.UTC(2024, 5, 1, 3), HOUR);
    const kept = c.time.map((_t, i) => i).filter((i) => i < 150 || i >= 200); // a 50-hour hole in the last 7 days
    const pick = (col: Float64Array) => Float64Array.from(kept, (i) => col[i]!);
    const holed = { time: pick(c.time), open: pick(c.open), high: pick(c.high), low: pick(c.low), close: pick(c.close), volume: pick(c.volume) };
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: holed });
    const first = await execute(app, InstrumentsDocument, { search: symbol, first: 1 });
    const expected = referenceSparkline(holed);
    expect(expected.length).toBeLessThan(28);
    expect(first.body.data!.instruments.edges[0]!.node.summary!.sparkline).toEqual(expected);

    const n = holed.time.length;
    const one = (col: Float64Array, value?: number) => Float64Array.of(value ?? col[n - 1]!);
    const high = Math.max(holed.high[n - 1]!, 999);
    await deps.services.marketData.ingestCandles({
      symbol,
      baseInterval: '1h',
      candles: { time: one(holed.time), open: one(holed.open), high: Float64Array.of(high), low: one(holed.low), close: Float64Array.of(999), volume: one(holed.volume) },
    });
    const again = await execute(app, InstrumentsDocument, { search: symbol, first: 1 });
    expect(again.body.data!.instruments.edges[0]!.node.summary!.sparkline).toEqual([...expected.slice(0, -1), 999]);
  });

  it('rejects malformed symbols', async () => {
    const { body } = await execute(app, MarketSummaryDocument, { symbols: ['ok', 'has space'] });
    expect(body.errors![0]!.message).toMatch(/symbols\.0: "ok" is not a valid symbol/);
  });

  it('orders gainers and losers by the chosen window and validates the limit', async () => {
    const gainers = await execute(app, TopMoversDocument, { window: 'H24', direction: 'GAINERS', limit: 100 });
    expect(gainers.body.data!.topMovers[0]!.symbol).toBe(`${prefix}UP`);
    const changes = gainers.body.data!.topMovers.map((m) => m.change24h!);
    expect([...changes].sort((a, b) => b - a)).toEqual(changes);
    const losers = await execute(app, TopMoversDocument, { direction: 'LOSERS', limit: 100 });
    expect(losers.body.data!.topMovers[0]!.symbol).toBe(`${prefix}DOWN`);
    const lc = losers.body.data!.topMovers.map((m) => m.change24h!);
    expect([...lc].sort((a, b) => a - b)).toEqual(lc);
    for (const limit of [0, 101]) {
      const bad = await execute(app, TopMoversDocument, { limit });
      expect(bad.body.errors![0]!.message).toMatch(/limit: must be a whole number from 1 to 100/);
    }
  });
});

describe('coverage', () => {
  it('reports first/last bar, expected vs present bars and the gaps, filterable by size', async () => {
    const symbol = uniqueName('GAPS');
    // Daily bars on weekdays only for three weeks, plus a missing Wednesday.
    const days: number[] = [];
    for (let d = Date.UTC(2024, 0, 1); d < Date.UTC(2024, 0, 22); d += DAY) {
      const dow = new Date(d).getUTCDay();
      if (dow !== 0 && dow !== 6 && d !== Date.UTC(2024, 0, 10)) days.push(d);
    }
    const c = randomCandles(9, days.length, 0, DAY);
    c.time.set(days);
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1d', candles: c });

    const all = await execute(app, InstrumentCoverageDocument, { symbol, first: 10 });
    const cov = all.body.data!.instrument!.coverage;
    expect(cov.firstTime).toBe('2024-01-01T00:00:00.000Z');
    expect(cov.lastTime).toBe('2024-01-19T00:00:00.000Z');
    expect(cov.expectedBars).toBe(19);
    expect(cov.presentBars).toBe(14);
    expect(cov.missingBars).toBe(5);
    expect(cov.gaps.totalCount).toBe(3);
    expect(cov.gaps.edges.map((e) => e.node)).toEqual([
      { from: '2024-01-06T00:00:00.000Z', to: '2024-01-08T00:00:00.000Z', missingBars: 2 },
      { from: '2024-01-10T00:00:00.000Z', to: '2024-01-11T00:00:00.000Z', missingBars: 1 },
      { from: '2024-01-13T00:00:00.000Z', to: '2024-01-15T00:00:00.000Z', missingBars: 2 },
    ]);
    const holidaysOnly = await execute(app, InstrumentCoverageDocument, { symbol, minMissing: 1, first: 1 });
    expect(holidaysOnly.body.data!.instrument!.coverage.gaps.pageInfo.hasNextPage).toBe(true);
    const weekendsHidden = await execute(app, InstrumentCoverageDocument, { symbol, minMissing: 3 });
    expect(weekendsHidden.body.data!.instrument!.coverage.gaps.totalCount).toBe(0);
  });
});
