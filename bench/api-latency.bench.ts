import { availableParallelism, loadavg } from 'node:os';
import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { CreateStrategyDocument, MarketSummaryDocument, RunBacktestDocument } from '../examples/generated/graphql.js';
import { describeDialect, median, seededHourlyCandles, withBenchDatabase, withBenchRuntime } from './bench-database.js';
import { startStack, type BenchStack } from './bench-stack.js';

/**
 * Budgets (issue 10): `marketSummary` of 263 instruments ≤ 20 ms, and a `runBacktest`
 * identical to a finished one (answered from the result cache) ≤ 10 ms — timed through the
 * real API process over HTTP on localhost, so a figure includes the round trip. The floor
 * in the same run: `{ __typename }`, a query that does no work, through the same path.
 *   npx tsx bench/api-latency.bench.ts                        embedded PostgreSQL
 *   DATABASE_URL=postgresql://…/postgres npx tsx bench/api-latency.bench.ts   that server
 */
const INSTRUMENTS = Number(process.env.BENCH_INSTRUMENTS ?? 263);
const BARS = Number(process.env.BENCH_BARS ?? 2_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const START = Date.UTC(2024, 0, 1);

async function timeRequests(runs: number, request: () => Promise<void>): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < 10; i++) await request(); // warm-up: JIT, connections, caches
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await request();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { median: median(times), p95: times[Math.floor(times.length * 0.95)]! };
}

async function measure(stack: BenchStack, symbols: string[]) {
  const nothing = parse('{ __typename }') as TypedDocumentNode<{ __typename: string }, Record<string, never>>;
  const floor = await timeRequests(RUNS, async () => void (await stack.post(nothing, {})));
  const summary = await timeRequests(RUNS, async () => {
    const rows = (await stack.post(MarketSummaryDocument, {})).marketSummary;
    if (rows.length !== symbols.length) throw new Error(`marketSummary returned ${rows.length} rows`);
  });
  // What a dashboard's overview with a 7-day line per row asks (informative: no budget).
  const withSparklines = parse('{ marketSummary { symbol lastPrice change24h sparkline } }') as TypedDocumentNode<{ marketSummary: unknown[] }, Record<string, never>>;
  const sparklines = await timeRequests(RUNS, async () => {
    if ((await stack.post(withSparklines, {})).marketSummary.length !== symbols.length) throw new Error('marketSummary with sparklines: rows missing');
  });
  const strategy = (await stack.post(CreateStrategyDocument, { input: { name: 'SMA', kind: 'SMA_CROSSOVER', parameters: { fast: 10, slow: 30 } } })).createStrategy;
  if (strategy.__typename !== 'Strategy') throw new Error(JSON.stringify(strategy));
  const input = { strategyId: strategy.id, symbol: symbols[0]!, interval: '1h', from: new Date(START).toISOString(), to: new Date(START + BARS * 3_600_000).toISOString() };
  // The first run computes; wait for it to finish, so every later identical one is answered from it.
  const first = (await stack.post(RunBacktestDocument, { input })).runBacktest;
  if (first.__typename !== 'Backtest') throw new Error(JSON.stringify(first));
  for (;;) {
    const again = (await stack.post(RunBacktestDocument, { input })).runBacktest;
    if (again.__typename === 'Backtest' && again.fromCache) break;
  }
  const identical = await timeRequests(RUNS, async () => {
    const run = (await stack.post(RunBacktestDocument, { input })).runBacktest;
    if (run.__typename !== 'Backtest' || !run.fromCache || run.status !== 'COMPLETED') throw new Error(`not answered from the cache: ${JSON.stringify(run)}`);
  });
  return { floor, summary, sparklines, identical };
}

const adminUrl = process.env.DATABASE_URL ?? null;
console.log(`api latency bench: ${INSTRUMENTS} instruments × ${BARS.toLocaleString('en')} hourly bars, ${RUNS} requests each; Node ${process.version}, ${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
await withBenchDatabase('latency', adminUrl, (url) =>
  withBenchRuntime(url, async (deps) => {
    const symbols = Array.from({ length: INSTRUMENTS }, (_, i) => `LAT${String(i).padStart(3, '0')}`);
    await deps.services.marketData.ingestMany(
      (function* () {
        for (const [i, symbol] of symbols.entries()) yield { symbol, baseInterval: '1h', candles: seededHourlyCandles(i, BARS, START) };
      })(),
      { maxCandles: null },
    );
    await deps.db.pool.query('ANALYZE');
    const key = await deps.services.accounts.createApiKey({ owner: 'bench', role: 'trader' });
    const stack = await startStack({ databaseUrl: url, apiKey: key.key });
    try {
      const { floor, summary, sparklines, identical } = await measure(stack, symbols);
      const ms = (v: number) => `${v.toFixed(1)} ms`;
      console.log(`database: ${adminUrl ? 'DATABASE_URL server' : 'embedded PostgreSQL'}, ${describeDialect(deps)}`);
      console.log(`  { __typename } (floor: HTTP + GraphQL, no work)   median ${ms(floor.median)}, p95 ${ms(floor.p95)}`);
      console.log(`  marketSummary, ${INSTRUMENTS} instruments            median ${ms(summary.median)}, p95 ${ms(summary.p95)} (${(summary.median / floor.median).toFixed(1)}× floor) — budget ≤ 20 ms: ${summary.median <= 20 ? 'met' : 'MISSED'}`);
      console.log(`  marketSummary with sparklines (no budget)  median ${ms(sparklines.median)}, p95 ${ms(sparklines.p95)} (${(sparklines.median / floor.median).toFixed(1)}× floor)`);
      console.log(`  identical runBacktest (result cache)        median ${ms(identical.median)}, p95 ${ms(identical.p95)} (${(identical.median / floor.median).toFixed(1)}× floor) — budget ≤ 10 ms: ${identical.median <= 10 ? 'met' : 'MISSED'}`);
    } finally {
      await stack.stop();
    }
  }),
);
