import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { ValidationError } from '../../src/lib/errors.js';
import { IngestCandlesDocument, MarketSummaryDocument } from '../../examples/generated/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { aggregateReference, randomCandles, toCandleInputs } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { execute } from '../helpers/graphql.js';

let deps: Deps;
let app: App;
let admin: Record<string, string>;
const HOUR = 3_600_000;
const MINUTE = 60_000;

beforeAll(async () => {
  deps = await createTestDeps({ MARKET_INGEST_MAX_CANDLES: '500' });
  app = createApp(deps);
  admin = (await createKeyHeader(deps, 'admin')).headers;
});
afterAll(async () => deps.close());

async function storedCount(symbol: string): Promise<number> {
  const { rows } = await deps.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM candle c JOIN instrument i ON i.id = c.instrument_id WHERE i.symbol = $1',
    [symbol],
  );
  return rows[0]!.n;
}

async function instrumentRow(symbol: string) {
  const { rows } = await deps.db.pool.query<{ id: number; data_version: string; base_interval: string }>(
    'SELECT id, data_version::text, base_interval FROM instrument WHERE symbol = $1',
    [symbol],
  );
  return rows[0];
}

describe('ingestCandles (GraphQL, admin)', () => {
  it('creates the instrument, stores every candle exactly, and is idempotent', async () => {
    const symbol = uniqueName('ING');
    const series = randomCandles(11, 48, Date.UTC(2024, 2, 1), HOUR);
    const input = { symbol, baseInterval: '1h', name: 'Ingest test', candles: toCandleInputs(series) };

    const first = await execute(app, IngestCandlesDocument, { input }, admin);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.ingestCandles).toMatchObject({
      __typename: 'IngestCandlesPayload',
      created: true,
      received: 48,
      inserted: 48,
      updated: 0,
      unchanged: 0,
      instrument: { symbol, baseInterval: '1h' },
    });
    const { rows } = await deps.db.pool.query<{ t: Date; open: number; high: number; low: number; close: number; volume: number }>(
      `SELECT ts AS t, open, high, low, close, volume FROM candle WHERE instrument_id = $1 ORDER BY ts`,
      [(await instrumentRow(symbol))!.id],
    );
    expect(rows.map((r) => [r.t.getTime(), r.open, r.high, r.low, r.close, r.volume])).toEqual(
      Array.from(series.time, (t, i) => [t, series.open[i], series.high[i], series.low[i], series.close[i], series.volume[i]]),
    );
    const version1 = (await instrumentRow(symbol))!.data_version;

    const again = await execute(app, IngestCandlesDocument, { input }, admin);
    expect(again.body.data!.ingestCandles).toMatchObject({ created: false, inserted: 0, updated: 0, unchanged: 48, dataVersion: version1 });
    expect(await storedCount(symbol)).toBe(48);

    const changed = { ...input, candles: input.candles.map((c, i) => (i === 5 ? { ...c, close: c.close * 1.001, high: Math.max(c.high, c.close * 1.001) } : c)) };
    const third = await execute(app, IngestCandlesDocument, { input: changed }, admin);
    expect(third.body.data!.ingestCandles).toMatchObject({ inserted: 0, updated: 1, unchanged: 47 });
    const version3 = (await instrumentRow(symbol))!.data_version;
    expect(BigInt(version3)).toBe(BigInt(version1) + 1n);
  });

  it('leaves the market summary fresh right after the ingest, and candle_1h / candle_1d once the aggregates are refreshed', async () => {
    const symbol = uniqueName('FRESH');
    const start = Date.UTC(2024, 3, 1, 22, 0);
    const series = randomCandles(5, 240, start, MINUTE); // 22:00 → 02:00 next day: spans two days
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: series });
    const id = (await instrumentRow(symbol))!.id;
    const read = async (table: string) =>
      (
        await deps.db.pool.query<{ b: Date; open: number; high: number; low: number; close: number; volume: number; n: string }>(
          `SELECT bucket AS b, open, high, low, close, volume, bar_count::text AS n FROM ${table} WHERE instrument_id = $1 ORDER BY bucket`,
          [id],
        )
      ).rows;
    const check = async (table: string, interval: '1h' | '1d', c: typeof series) => {
      const ref = aggregateReference(c, interval, 0, Date.UTC(2100, 0, 1));
      const rows = await read(table);
      expect(rows.map((r) => r.b.getTime())).toEqual(ref.map((r) => r.time));
      rows.forEach((r, i) => {
        expect([r.open, r.high, r.low, r.close]).toEqual([ref[i]!.open, ref[i]!.high, ref[i]!.low, ref[i]!.close]);
        expect(r.volume).toBeCloseTo(ref[i]!.volume, 6);
      });
    };
    await deps.services.marketData.refreshAggregates();
    await check('candle_1h', '1h', series);
    await check('candle_1d', '1d', series);

    let summary = await execute(app, MarketSummaryDocument, { symbols: [symbol] }, admin);
    expect(summary.body.data!.marketSummary).toHaveLength(1);
    expect(summary.body.data!.marketSummary[0]).toMatchObject({
      symbol,
      lastPrice: series.close[239],
      asOf: new Date(series.time[239]!).toISOString(),
      candleCount: 240,
      allTimeHigh: Math.max(...series.high),
      allTimeLow: Math.min(...series.low),
    });

    // A correction inside an already aggregated hour, plus one new bar: both show at once.
    const fix = randomCandles(6, 2, 0, MINUTE);
    fix.time.set([series.time[10]!, series.time[239]! + MINUTE]);
    fix.high.set([1_000, fix.high[1]!]);
    fix.close.set([fix.close[0]!, 777]);
    fix.high[1] = Math.max(fix.high[1]!, 777, fix.open[1]!);
    fix.low[1] = Math.min(fix.low[1]!, 777, fix.open[1]!);
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: fix });
    const merged = randomCandles(5, 240, start, MINUTE);
    merged.high[10] = 1_000;
    merged.open[10] = fix.open[0]!;
    merged.low[10] = fix.low[0]!;
    merged.close[10] = fix.close[0]!;
    merged.volume[10] = fix.volume[0]!;
    const extended = {
      time: Float64Array.from([...merged.time, fix.time[1]!]),
      open: Float64Array.from([...merged.open, fix.open[1]!]),
      high: Float64Array.from([...merged.high, fix.high[1]!]),
      low: Float64Array.from([...merged.low, fix.low[1]!]),
      close: Float64Array.from([...merged.close, 777]),
      volume: Float64Array.from([...merged.volume, fix.volume[1]!]),
    };
    summary = await execute(app, MarketSummaryDocument, { symbols: [symbol] }, admin);
    expect(summary.body.data!.marketSummary[0]).toMatchObject({ lastPrice: 777, candleCount: 241, allTimeHigh: 1_000 });
    await deps.services.marketData.refreshAggregates();
    await check('candle_1h', '1h', extended);
    await check('candle_1d', '1d', extended);
  });
});

describe('hourly and daily uploads', () => {
  it('keep candle_1d and the summary fresh without going through candle_1h (never read for them)', async () => {
    const symbol = uniqueName('HRLY');
    const series = randomCandles(41, 24 * 9 + 5, Date.UTC(2024, 9, 3, 19), HOUR);
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: series });
    await deps.services.marketData.refreshAggregates();
    const id = (await instrumentRow(symbol))!.id;
    const { rows } = await deps.db.pool.query<{ b: Date; open: number; high: number; low: number; close: number; volume: number; n: string }>(
      `SELECT bucket AS b, open, high, low, close, volume, bar_count::text AS n FROM candle_1d WHERE instrument_id = $1 ORDER BY bucket`,
      [id],
    );
    const ref = aggregateReference(series, '1d', 0, Date.UTC(2100, 0, 1));
    expect(rows.map((r) => [r.b.getTime(), r.open, r.high, r.low, r.close, Number(r.n)])).toEqual(
      ref.map((r) => [r.time, r.open, r.high, r.low, r.close, expect.any(Number)]),
    );
    expect(rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(series.time.length);
    const summary = await execute(app, MarketSummaryDocument, { symbols: [symbol] }, admin);
    expect(summary.body.data!.marketSummary[0]).toMatchObject({ candleCount: series.time.length, allTimeHigh: Math.max(...series.high) });
    if (process.env.TEST_TIMESCALEDB !== '1') {
      // Portable: no candle_1h rows were computed for an hourly instrument.
      const hourly = await deps.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM candle_1h WHERE instrument_id = $1', [id]);
      expect(hourly.rows[0]!.n).toBe(0);
    }
  });
});

describe('upload paths', () => {
  it('counts an upload that corrects, repeats and extends stored bars exactly', async () => {
    const symbol = uniqueName('MIX');
    const series = randomCandles(31, 120, Date.UTC(2024, 7, 1), MINUTE);
    const slice = (from: number, to: number) => ({
      time: series.time.slice(from, to), open: series.open.slice(from, to), high: series.high.slice(from, to),
      low: series.low.slice(from, to), close: series.close.slice(from, to), volume: series.volume.slice(from, to),
    });
    const first = await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: slice(0, 60) });
    expect(first).toMatchObject({ inserted: 60, updated: 0, unchanged: 0 });
    // Bars 40..119: 40..59 are stored (three of them changed), 60..119 are new.
    const next = slice(40, 120);
    for (const i of [0, 7, 19]) next.volume[i] = next.volume[i]! + 1;
    const second = await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: next });
    expect(second).toMatchObject({ received: 80, inserted: 60, updated: 3, unchanged: 17 });
    expect(await storedCount(symbol)).toBe(120);
    const { rows } = await deps.db.pool.query<{ volume: number }>(
      `SELECT volume FROM candle WHERE instrument_id = $1 AND ts = to_timestamp($2 / 1000.0)`,
      [(await instrumentRow(symbol))!.id, series.time[47]],
    );
    expect(rows[0]!.volume).toBe(series.volume[47]! + 1);
  });

  it('two uploads of one symbol racing into an empty range: one inserts, the other finds every bar stored', async () => {
    const symbol = uniqueName('RACE');
    const series = randomCandles(32, 500, Date.UTC(2024, 8, 1), MINUTE);
    const results = await Promise.all([
      deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: series }),
      deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: series }),
    ]);
    expect(results.map((r) => [r.inserted, r.updated, r.unchanged]).sort()).toEqual([
      [0, 0, 500],
      [500, 0, 0],
    ]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await storedCount(symbol)).toBe(500);
  });
});

describe('concurrent ingests', () => {
  it('of several symbols over the same window all succeed and all reach the aggregates', async () => {
    const symbols = Array.from({ length: 4 }, () => uniqueName('PAR'));
    const start = Date.UTC(2024, 6, 1);
    await Promise.all(symbols.map((symbol, i) => deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: randomCandles(300 + i, 180, start, MINUTE) })));
    await deps.services.marketData.refreshAggregates();
    const { rows } = await deps.db.pool.query<{ symbol: string; n: number }>(
      `SELECT i.symbol, count(*)::int AS n FROM candle_1h h JOIN instrument i ON i.id = h.instrument_id WHERE i.symbol = ANY($1) GROUP BY i.symbol ORDER BY i.symbol`,
      [symbols],
    );
    expect(rows).toEqual([...symbols].sort().map((symbol) => ({ symbol, n: 3 })));
  });
});

describe('ingestMany (bulk loads)', () => {
  it('leaves every instrument’s aggregates, summary and cache events fresh; a bad input keeps those before it and writes nothing of its own', async () => {
    const [a, b, bad, after] = Array.from({ length: 4 }, () => uniqueName('BULK'));
    const start = Date.UTC(2024, 10, 4);
    const series = [randomCandles(61, 24 * 3, start, HOUR), randomCandles(62, 24 * 5, start + 7 * 24 * HOUR, HOUR)];
    const broken = randomCandles(63, 10, start, HOUR);
    broken.high[4] = broken.low[4]! - 1;
    const events = await deps.pubsub.listen('candles.ingested');
    const seen = new Set<string>();
    const collecting = (async () => {
      // Other tests' ingests may publish too: wait for these two symbols' events.
      for await (const event of events) {
        seen.add(String(event.instrumentId));
        if (seen.has(String((await instrumentRow(a!))?.id)) && seen.has(String((await instrumentRow(b!))?.id))) break;
      }
    })();

    const ingested: string[] = [];
    const run = deps.services.marketData.ingestMany(
      [
        { symbol: a!, baseInterval: '1h', candles: series[0]! },
        { symbol: b!, baseInterval: '1h', candles: series[1]! },
        { symbol: bad!, baseInterval: '1h', candles: broken },
        { symbol: after!, baseInterval: '1h', candles: series[0]! },
      ],
      { maxCandles: null },
      (result) => ingested.push(result.symbol),
    );
    await expect(run).rejects.toBeInstanceOf(ValidationError);
    expect(ingested).toEqual([a, b]);
    expect(await storedCount(bad!)).toBe(0);
    expect(await instrumentRow(after!)).toBeUndefined();

    await deps.services.marketData.refreshAggregates();
    for (const [i, symbol] of [a!, b!].entries()) {
      const id = (await instrumentRow(symbol))!.id;
      const { rows } = await deps.db.pool.query<{ b: Date; close: number }>('SELECT bucket AS b, close FROM candle_1d WHERE instrument_id = $1 ORDER BY bucket', [id]);
      expect(rows.map((r) => [r.b.getTime(), r.close])).toEqual(aggregateReference(series[i]!, '1d', 0, Date.UTC(2100, 0, 1)).map((r) => [r.time, r.close]));
    }
    const summary = await execute(app, MarketSummaryDocument, { symbols: [a!, b!] }, admin);
    const bySymbol = new Map(summary.body.data!.marketSummary.map((s) => [s.symbol, [s.candleCount, s.lastPrice]]));
    expect(bySymbol).toEqual(new Map([a!, b!].map((symbol, i) => [symbol, [series[i]!.time.length, series[i]!.close.at(-1)]])));
    // Both instruments' cache-warming events arrive (the test times out otherwise).
    await collecting;
    await events.close();
  });
});

describe('ingest validation: rejected whole, nothing written, every problem listed by row', () => {
  const base = () => randomCandles(21, 6, Date.UTC(2024, 4, 1), HOUR);
  const cases: Array<[string, (c: ReturnType<typeof base>) => void, string[], RegExp]> = [
    ['a negative price', (c) => { c.open[1] = -1; }, ['candles', '1', 'open'], /must be greater than 0/],
    // Finding 7: a zero price is a missing value; years 1000 and 3000 are unit mistakes.
    ['a zero low', (c) => { c.low[2] = 0; }, ['candles', '2', 'low'], /must be greater than 0/],
    ['a bar in the year 1000', (c) => { c.time[0] = Date.UTC(1000, 0, 1); }, ['candles', '0', 'time'], /1000-01-01T00:00:00.000Z is outside 1970-01-01 … 2099-12-31/],
    ['a bar in the year 3000', (c) => { c.time[5] = Date.UTC(3000, 0, 1); }, ['candles', '5', 'time'], /outside 1970-01-01 … 2099-12-31/],
    ['a non-finite price', (c) => { c.close[2] = Number.NaN; }, ['candles', '2', 'close'], /finite number/],
    ['low above min(open, close)', (c) => { c.low[3] = Math.min(c.open[3]!, c.close[3]!) + 0.5; }, ['candles', '3', 'low'], /above min\(open, close\)/],
    ['high below max(open, close)', (c) => { c.high[4] = Math.max(c.open[4]!, c.close[4]!) - 0.5; }, ['candles', '4', 'high'], /below max\(open, close\)/],
    ['an infinite price', (c) => { c.high[3] = Number.POSITIVE_INFINITY; }, ['candles', '3', 'high'], /finite number/],
    ['a negative volume', (c) => { c.volume[0] = -5; }, ['candles', '0', 'volume'], /must not be negative/],
    ['a NaN volume', (c) => { c.volume[4] = Number.NaN; }, ['candles', '4', 'volume'], /finite number/],
    ['an infinite volume', (c) => { c.volume[5] = Number.POSITIVE_INFINITY; }, ['candles', '5', 'volume'], /finite number/],
    ['an invalid time', (c) => { c.time[2] = Number.NaN; }, ['candles', '2', 'time'], /not a valid time/],
    ['two adjacent equal times', (c) => { c.time[4] = c.time[3]!; }, ['candles', '4', 'time'], /duplicates the time of candle 3/],
    ['a duplicate time', (c) => { c.time[5] = c.time[2]!; }, ['candles', '5', 'time'], /duplicates the time of candle 2/],
    ['a time off the base interval grid', (c) => { c.time[1] = c.time[1]! + 60_000; }, ['candles', '1', 'time'], /not aligned to the 1h grid/],
  ];

  it.each(cases)('%s', async (_name, mutate, path, message) => {
    const symbol = uniqueName('BAD');
    const c = base();
    mutate(c);
    const attempt = deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: c });
    await expect(attempt).rejects.toThrow(ValidationError);
    const error = (await attempt.catch((e: unknown) => e)) as ValidationError;
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.path).toEqual(path);
    expect(error.issues[0]!.message).toMatch(message);
    expect(await instrumentRow(symbol)).toBeUndefined();
    expect(await storedCount(symbol)).toBe(0);
  });

  it('lists several problems at once, through GraphQL as a ValidationError member', async () => {
    const symbol = uniqueName('MULTI');
    const c = base();
    c.open[1] = -1;
    c.volume[3] = -2;
    const res = await execute(app, IngestCandlesDocument, { input: { symbol, baseInterval: '1h', candles: toCandleInputs(c) } }, admin);
    const result = res.body.data!.ingestCandles;
    expect(result.__typename).toBe('ValidationError');
    if (result.__typename !== 'ValidationError') throw new Error('unreachable');
    expect(result.code).toBe('VALIDATION_FAILED');
    expect(result.issues.map((i) => i.path.join('.'))).toEqual(['input.candles.1.open', 'input.candles.3.volume'].map((p) => p.replace('input.', '')));
    expect(await storedCount(symbol)).toBe(0);
  });

  it('rejects a base interval that disagrees with the stored instrument, an invalid symbol, no candles and too many', async () => {
    const symbol = uniqueName('MIX');
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: base() });
    const before = await storedCount(symbol);
    const minute = randomCandles(1, 3, Date.UTC(2024, 4, 2), MINUTE);
    await expect(deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: minute })).rejects.toThrow(/is stored at 1h; candles at 1m cannot be mixed in/);
    await expect(deps.services.marketData.ingestCandles({ symbol: 'bad symbol!', baseInterval: '1h', candles: base() })).rejects.toThrow(/symbol: must be 1-32 characters/);
    await expect(deps.services.marketData.ingestCandles({ symbol: 'X'.repeat(33), baseInterval: '1h', candles: base() })).rejects.toThrow(/symbol/);
    await expect(deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(1, 0, 0, HOUR) })).rejects.toThrow(/at least one candle/);
    await expect(deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(1, 501, Date.UTC(2023, 0, 1), HOUR) })).rejects.toThrow(/at most 500 candles per request/);
    await expect(deps.services.marketData.ingestCandles({ symbol, baseInterval: '1M', candles: base() })).rejects.toThrow(/fixed-length interval/);
    expect(await storedCount(symbol)).toBe(before);
  });

  it('is admin-only: a trader gets a ForbiddenError member and nothing is written', async () => {
    const trader = (await createKeyHeader(deps, 'trader')).headers;
    const symbol = uniqueName('FORBID');
    const res = await execute(app, IngestCandlesDocument, { input: { symbol, baseInterval: '1h', candles: toCandleInputs(base()) } }, trader);
    expect(res.body.data!.ingestCandles).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await instrumentRow(symbol)).toBeUndefined();
  });
});

describe('an ingest cut off by the statement timeout (issue 13, faults)', () => {
  it('leaves nothing partial visible: no instrument, candles, blocks or summary; the same upload then succeeds', async () => {
    // A runtime whose sessions allow 500 ms a statement (DATABASE_STATEMENT_TIMEOUT_MS).
    const strict = await createTestDeps({ DATABASE_STATEMENT_TIMEOUT_MS: '500' });
    const strictApp = createApp(strict);
    const strictAdmin = (await createKeyHeader(strict, 'admin')).headers;
    const symbol = uniqueName('TIMEOUT');
    const input = { symbol, baseInterval: '1h', candles: toCandleInputs(randomCandles(17, 200, Date.UTC(2024, 4, 1), HOUR)) };
    // Another session holds market_summary: the ingest writes its instrument, candles and
    // blocks, then waits for the summary's lock until the timeout cancels it.
    const locker = await deps.db.pool.connect();
    let res: Awaited<ReturnType<typeof execute>>;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE market_summary IN ACCESS EXCLUSIVE MODE');
      res = await execute(strictApp, IngestCandlesDocument, { input }, strictAdmin);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    try {
      expect(res.body.data).toBeNull();
      expect(res.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'QUERY_TIMEOUT' } })]);
      // The transaction rolled back whole: nothing of it is visible.
      expect(await instrumentRow(symbol)).toBeUndefined();
      const { rows } = await deps.db.pool.query<{ candles: number; blocks: number; summaries: number }>(
        `SELECT (SELECT count(*) FROM candle c JOIN instrument i ON i.id = c.instrument_id WHERE i.symbol = $1)::int AS candles,
                (SELECT count(*) FROM candle_block b JOIN instrument i ON i.id = b.instrument_id WHERE i.symbol = $1)::int AS blocks,
                (SELECT count(*) FROM market_summary s JOIN instrument i ON i.id = s.instrument_id WHERE i.symbol = $1)::int AS summaries`,
        [symbol],
      );
      expect(rows[0]).toEqual({ candles: 0, blocks: 0, summaries: 0 });
      const again = await execute(strictApp, IngestCandlesDocument, { input }, strictAdmin);
      expect(again.body.data!.ingestCandles).toMatchObject({ __typename: 'IngestCandlesPayload', created: true, inserted: 200 });
      expect(await storedCount(symbol)).toBe(200);
    } finally {
      await strict.close();
    }
  });
});
