import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import type { IntervalName } from '../../src/lib/intervals.js';
import { CandlesDocument } from '../../examples/generated/graphql.js';
import { aggregateReference, randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { execute } from '../helpers/graphql.js';

/**
 * `candles` at every interval equals an independent aggregation of the stored 1-minute bars,
 * on whichever dialect the suite runs (both in CI), including ranges that start and end
 * mid-bucket; the relation that served each read is the one the planning rule names.
 */
let deps: Deps;
let app: App;
const MINUTE = 60_000;
// 2024-01-29 (a Monday) 22:13 for 3.5 days: crosses a month and a week boundary; starts mid-hour.
const START = Date.UTC(2024, 0, 29, 22, 13);
const BARS = 5040;
const series = randomCandles(7, BARS, START, MINUTE);
const symbol = uniqueName('AGG');

beforeAll(async () => {
  deps = await createTestDeps({ AUTH_ANONYMOUS_READ: 'true' });
  app = createApp(deps);
  await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: series });
  // TimescaleDB: what the background refresh does a moment later (freshness.test.ts reads before it).
  await deps.services.marketData.refreshAggregates();
});
afterAll(async () => deps.close());

async function candles(variables: { interval: string; from: string; to: string; maxPoints?: number; symbol?: string }) {
  return execute(app, CandlesDocument, { symbol, ...variables });
}

const EXPECTED_SOURCE: Record<string, string> = {
  '1m': 'raw', '3m': 'raw', '5m': 'raw', '15m': 'raw', '30m': 'raw',
  '1h': 'candle_1h', '2h': 'candle_1h', '4h': 'candle_1h', '6h': 'candle_1h', '12h': 'candle_1h',
  '1d': 'candle_1d', '3d': 'candle_1d', '1w': 'candle_1d', '1M': 'candle_1d',
};

function expectBarsEqual(actual: Array<{ time: string; open: number; high: number; low: number; close: number; volume: number }>, expected: ReturnType<typeof aggregateReference>) {
  expect(actual.map((b) => b.time)).toEqual(expected.map((b) => new Date(b.time).toISOString()));
  actual.forEach((bar, i) => {
    const ref = expected[i]!;
    expect(bar.open).toBe(ref.open);
    expect(bar.high).toBe(ref.high);
    expect(bar.low).toBe(ref.low);
    expect(bar.close).toBe(ref.close);
    expect(bar.volume).toBeCloseTo(ref.volume, 6);
  });
}

describe('candles aggregation', () => {
  // Day-aligned range covering all data: aggregates may serve it.
  const alignedFrom = Date.UTC(2024, 0, 29);
  const alignedTo = Date.UTC(2024, 1, 3);

  it.each(Object.keys(EXPECTED_SOURCE))('%s over a day-aligned range equals the reference, from the coarsest exact source', async (interval) => {
    const { body } = await candles({ interval, from: new Date(alignedFrom).toISOString(), to: new Date(alignedTo).toISOString() });
    expect(body.errors).toBeUndefined();
    const result = body.data!.candles;
    expect(result.interval).toBe(interval);
    expect(result.source).toBe(EXPECTED_SOURCE[interval]);
    expectBarsEqual(result.candles, aggregateReference(series, interval as IntervalName, alignedFrom, alignedTo));
  });

  it.each(['5m', '1h', '4h', '1d', '1w', '1M'])('%s over a range starting and ending mid-bucket only counts bars inside it (raw source)', async (interval) => {
    const from = Date.UTC(2024, 0, 30, 3, 37);
    const to = Date.UTC(2024, 1, 1, 17, 11);
    const { body } = await candles({ interval, from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    expect(body.errors).toBeUndefined();
    expect(body.data!.candles.source).toBe('raw');
    expectBarsEqual(body.data!.candles.candles, aggregateReference(series, interval as IntervalName, from, to));
  });

  it('widens the interval until maxPoints fit, and says which interval it used', async () => {
    const { body } = await candles({ interval: '1m', from: new Date(alignedFrom).toISOString(), to: new Date(alignedTo).toISOString(), maxPoints: 100 });
    // 5 days: 1m 7200, 3m 2400, 5m 1440, 15m 480, 30m 240, 1h 120, 2h 60 → 2h
    expect(body.data!.candles.interval).toBe('2h');
    expect(body.data!.candles.candles.length).toBeLessThanOrEqual(100);
    expectBarsEqual(body.data!.candles.candles, aggregateReference(series, '2h', alignedFrom, alignedTo));
  });

  it('returns an empty list for a range without data', async () => {
    const { body } = await candles({ interval: '1h', from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z' });
    expect(body.errors).toBeUndefined();
    expect(body.data!.candles.candles).toEqual([]);
  });
});

describe('candles rejects bad requests with a typed error', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp, string]> = [
    ['from after to', { interval: '1h', from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }, /to: must be after from/, 'VALIDATION_FAILED'],
    ['an empty range', { interval: '1h', from: '2024-02-01T00:00:00Z', to: '2024-02-01T00:00:00Z' }, /to: must be after from/, 'VALIDATION_FAILED'],
    ['an unknown interval', { interval: '7m', from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z' }, /interval: must be one of 1m, 3m/, 'VALIDATION_FAILED'],
    ['maxPoints 0', { interval: '1h', from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z', maxPoints: 0 }, /maxPoints: must be a whole number/, 'VALIDATION_FAILED'],
    ['too many points', { interval: '1m', from: '2023-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z' }, /exceed the limit of 10000/, 'VALIDATION_FAILED'],
    // 24 years of 1m bars (not aligned to the daily aggregate, so the raw bars would serve it).
    ['a range over MARKET_MAX_RANGE_BARS', { interval: '1w', from: '2000-01-01T00:30:00Z', to: '2024-01-01T00:00:00Z', maxPoints: 10_000 }, /from: the range spans 12623010 stored 1m bars; one request may read at most 5000000 \(MARKET_MAX_RANGE_BARS\)/, 'VALIDATION_FAILED'],
    ['an unknown symbol', { symbol: 'NO-SUCH-SYMBOL', interval: '1h', from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z' }, /Instrument "NO-SUCH-SYMBOL" was not found/, 'NOT_FOUND'],
  ];
  it.each(cases)('%s', async (_name, variables, message, code) => {
    const { body } = await candles(variables as { interval: string; from: string; to: string });
    expect(body.data).toBeNull();
    expect(body.errors![0]!.message).toMatch(message);
    expect(body.errors![0]!.extensions!.code).toBe(code);
  });

  it('an interval finer than the base interval', async () => {
    const hourly = uniqueName('HOURLY');
    await deps.services.marketData.ingestCandles({ symbol: hourly, baseInterval: '1h', candles: randomCandles(3, 48, Date.UTC(2024, 0, 1), 3_600_000) });
    const { body } = await candles({ symbol: hourly, interval: '15m', from: '2024-01-01T00:00:00Z', to: '2024-01-02T00:00:00Z' });
    expect(body.errors![0]!.message).toMatch(/15m is finer than the instrument's base interval 1h/);
  });
});

describe('access paths', () => {
  it('reads one symbol’s range through an index, never a sequential scan of candle', async () => {
    await deps.db.pool.query('ANALYZE candle');
    const { rows } = await deps.db.pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT ts, open, high, low, close, volume FROM candle
       WHERE instrument_id = (SELECT id FROM instrument WHERE symbol = $1)
         AND ts >= '2024-01-30T00:00:00Z' AND ts < '2024-01-31T00:00:00Z' ORDER BY ts`,
      [symbol],
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).not.toMatch(/Seq Scan on (candle|_hyper_)/);
    expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan|Custom Scan/);
  });
});

describe('bars the range cuts (issue 13, finding 6)', () => {
  it('flags the first and last bar partial when from and to are off the interval’s grid; none when they are on it', async () => {
    const cut = (await candles({ interval: '1h', from: '2024-01-30T00:30:00Z', to: '2024-01-30T05:30:00Z' })).body.data!.candles.candles;
    expect(cut.map((b) => b.time)).toEqual([0, 1, 2, 3, 4, 5].map((h) => new Date(Date.UTC(2024, 0, 30, h)).toISOString()));
    expect(cut.map((b) => b.partial)).toEqual([true, false, false, false, false, true]);
    // The partial first bar holds only minutes 30–59 of its hour.
    const minutes = aggregateReference(series, '1m', Date.UTC(2024, 0, 30, 0, 30), Date.UTC(2024, 0, 30, 1));
    expect(cut[0]!.open).toBe(minutes[0]!.open);
    const whole = (await candles({ interval: '1h', from: '2024-01-30T00:00:00Z', to: '2024-01-30T06:00:00Z' })).body.data!.candles.candles;
    expect(whole.map((b) => b.partial)).toEqual([false, false, false, false, false, false]);
  });

  it('a week from a Wednesday is labelled with its Monday and flagged partial', async () => {
    const week = (await candles({ interval: '1w', from: '2024-01-31T00:00:00Z', to: '2024-02-02T00:00:00Z' })).body.data!.candles.candles;
    expect(week.map((b) => [b.time, b.partial])).toEqual([['2024-01-29T00:00:00.000Z', true]]);
  });

  it('backtests read whole bars only: the range shrinks to the interval’s grid', async () => {
    const { id } = (await deps.services.marketData.findInstrumentRef(symbol))!;
    const loaded = await deps.services.marketData.loadCandlesForRuns([id], '1h', new Date('2024-01-30T00:30:00Z'), new Date('2024-01-30T05:30:00Z'));
    expect([...loaded.get(id)!.time].map((t) => new Date(t).toISOString())).toEqual([1, 2, 3, 4].map((h) => new Date(Date.UTC(2024, 0, 30, h)).toISOString()));
    // A range inside one bar holds no whole bar.
    expect((await deps.services.marketData.loadCandlesForRuns([id], '1d', new Date('2024-01-30T01:00:00Z'), new Date('2024-01-30T23:00:00Z'))).size).toBe(0);
  });
});
