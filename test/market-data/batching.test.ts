import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { post } from '../helpers/graphql.js';

/**
 * Per-instrument fields are batched: 200 instruments with latestCandle and summary cost at
 * most 3 SQL statements (instruments page, latest candles, summaries), sparklines one more —
 * counted on the pool every statement goes through, Prisma's included.
 */
let deps: Deps;
let app: App;
const prefix = uniqueName('BATCH');

beforeAll(async () => {
  deps = await createTestDeps({ AUTH_ANONYMOUS_READ: 'true' });
  app = createApp(deps);
  // Setup in bulk SQL: 200 instruments with 30 hourly candles each (ingest is tested elsewhere).
  await deps.db.pool.query(
    `WITH ins AS (
       INSERT INTO instrument (symbol, name, base_interval)
       SELECT $1 || lpad(g::text, 3, '0'), 'Batch ' || g, '1h' FROM generate_series(1, 200) g RETURNING id
     )
     INSERT INTO candle (instrument_id, ts, open, high, low, close, volume)
     SELECT id, '2024-01-01'::timestamptz + h * INTERVAL '1 hour', 100 + h, 101 + h, 99 + h, 100.5 + h, 10
     FROM ins, generate_series(0, 29) h`,
    [prefix],
  );
  await deps.db.pool.query(`INSERT INTO candle_1d (instrument_id, bucket, open, high, low, close, volume, bar_count)
     SELECT instrument_id, time_bucket(INTERVAL '1 day', ts), first(open, ts), max(high), min(low), last(close, ts), sum(volume), count(*)
     FROM candle WHERE instrument_id IN (SELECT id FROM instrument WHERE symbol LIKE $1 || '%')
     GROUP BY 1, 2
     ON CONFLICT DO NOTHING`, [prefix]).catch(() => undefined); // a continuous aggregate on TimescaleDB: nothing to write
  if (deps.dialect.timescaledb) {
    await deps.db.pool.query(`CALL refresh_continuous_aggregate('candle_1d', '2023-12-31', '2024-01-03')`);
  }
  // What ingest does in its transaction after writing candles: blocks, then the summary rows.
  await deps.db.pool.query(
    `SELECT rebuild_candle_blocks(id, $2, $3) FROM instrument WHERE symbol LIKE $1 || '%'`,
    [prefix, Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 3)],
  );
  await deps.db.pool.query(`SELECT refresh_market_summary(array_agg(id)) FROM instrument WHERE symbol LIKE $1 || '%'`, [prefix]);
});
afterAll(async () => deps.close());

async function countStatements(run: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const stop = deps.db.onQuery((e) => seen.push(e.text));
  try {
    await run();
  } finally {
    stop();
  }
  return seen;
}

describe('DataLoader batching', () => {
  it('200 instruments with latestCandle and summary: at most 3 SQL statements', async () => {
    let result: Awaited<ReturnType<typeof post>> | undefined;
    const statements = await countStatements(async () => {
      result = await post(app, {
        query: `{ instruments(first: 200, search: "${prefix}") { edges { node { symbol latestCandle { close } summary { change24h lastPrice } } } } }`,
      });
    });
    const edges = (result!.body.data as { instruments: { edges: Array<{ node: { symbol: string; latestCandle: { close: number }; summary: { lastPrice: number } } }> } }).instruments.edges;
    expect(edges).toHaveLength(200);
    expect(edges[0]!.node).toMatchObject({ symbol: `${prefix}001`, latestCandle: { close: 129.5 }, summary: { lastPrice: 129.5 } });
    expect(edges.every((e) => e.node.latestCandle.close === 129.5)).toBe(true);
    expect(statements.length).toBeLessThanOrEqual(3);
    expect(statements.filter((s) => s.includes('findLatestCandles'))).toHaveLength(1);
    expect(statements.filter((s) => s.includes('findMarketSummaries'))).toHaveLength(1);
  });

  it('sparklines of 200 instruments, and of the whole market summary, are one statement each', async () => {
    let result: Awaited<ReturnType<typeof post>> | undefined;
    const statements = await countStatements(async () => {
      result = await post(app, { query: `{ instruments(first: 200, search: "${prefix}") { edges { node { summary { sparkline } } } } }` });
    });
    const edges = (result!.body.data as { instruments: { edges: Array<{ node: { summary: { sparkline: number[] } } }> } }).instruments.edges;
    // 30 hourly bars from midnight: slots 00, 06, 12, 18 of day one and 00 of day two, closing at 100.5 + h.
    expect(edges.every((e) => JSON.stringify(e.node.summary.sparkline) === JSON.stringify([105.5, 111.5, 117.5, 123.5, 129.5]))).toBe(true);
    expect(statements.filter((s) => s.includes('findSparklines'))).toHaveLength(1);
    expect(statements.length).toBeLessThanOrEqual(3);

    const symbols = edges.map((_e, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
    const summary = await countStatements(() => post(app, { query: `query($s: [String!]) { marketSummary(symbols: $s) { sparkline } }`, variables: { s: symbols } }));
    expect(summary.filter((s) => s.includes('findSparklines'))).toHaveLength(1);
  });

  it('coverage of 200 instruments is one statement too', async () => {
    const statements = await countStatements(async () => {
      const res = await post(app, {
        query: `{ instruments(first: 200, search: "${prefix}") { edges { node { coverage { presentBars expectedBars } } } } }`,
      });
      const edges = (res.body.data as { instruments: { edges: Array<{ node: { coverage: { presentBars: number; expectedBars: number } } }> } }).instruments.edges;
      expect(edges.every((e) => e.node.coverage.presentBars === 30 && e.node.coverage.expectedBars === 30)).toBe(true);
    });
    expect(statements.filter((s) => s.includes('findCoverage'))).toHaveLength(1);
    expect(statements.length).toBeLessThanOrEqual(2);
  });
});
