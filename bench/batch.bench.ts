import { print } from 'graphql';
import { createApp } from '../src/app.js';
import { runBacktest as runEngine } from '../src/engine/index.js';
import { startJobConsumer } from '../src/jobs/consumer.js';
import { CreateStrategyDocument, RunBacktestBatchDocument } from '../examples/generated/graphql.js';
import { median, minuteSeries, withBenchDeps } from './bench-database.js';

/**
 * Budget (DESIGN.md §9), the reference workload: 211 symbols × 44,000 hourly candles, one
 * strategy over all of them via runBacktestBatch, from the mutation to batch completion:
 * ≤ 3 s cold, ≤ 1 s warm; ≥ 10× faster than the naive path (one query per symbol, row
 * objects, engine on the main thread) measured in the same run; peak memory ≤ 1 GB.
 *   npx tsx bench/batch.bench.ts                       (embedded PostgreSQL, in-process queue)
 *   DATABASE_URL=… REDIS_URL=… npx tsx bench/batch.bench.ts   (TimescaleDB, BullMQ in this process)
 *   BENCH_SYMBOLS=50 BENCH_BARS=10000 npx tsx bench/batch.bench.ts   (smaller, quicker)
 */
const SYMBOLS = Number(process.env.BENCH_SYMBOLS ?? 211);
const BARS = Number(process.env.BENCH_BARS ?? 44_000);
const HOUR = 3_600_000;
const START = Date.UTC(2019, 0, 7);

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

await withBenchDeps('batch', async (deps) => {
  const symbols = Array.from({ length: SYMBOLS }, (_, i) => `REF${String(i).padStart(3, '0')}`);
  const t0 = performance.now();
  for (const [i, symbol] of symbols.entries()) {
    const c = minuteSeries(BARS, START);
    // minuteSeries steps a minute; stretch to hourly bars.
    for (let k = 0; k < BARS; k++) c.time[k] = START + k * HOUR + 0 * i;
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: c }, { maxCandles: null });
  }
  console.log(`setup: ${SYMBOLS} × ${BARS.toLocaleString('en')} hourly candles ingested in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await deps.db.pool.query('ANALYZE');
  peakRss = 0;

  const consumer = await startJobConsumer(deps);
  const app = createApp(deps);
  const key = await deps.services.accounts.createApiKey({ owner: 'bench', role: 'trader' });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key.key}` };
  const post = async (doc: Parameters<typeof print>[0], variables: unknown) =>
    ((await (await app.fetch('http://bench/graphql', { method: 'POST', headers, body: JSON.stringify({ query: print(doc), variables }) })).json()) as { data: any }).data;
  const strategy = await post(CreateStrategyDocument, { input: { name: 'SMA', kind: 'SMA_CROSSOVER', parameters: { fast: 10, slow: 30 } } });
  const strategyId = strategy.createStrategy.id;
  const to = new Date(START + BARS * HOUR).toISOString();

  const runBatch = async (commission: number) => {
    const started = performance.now();
    const created = await post(RunBacktestBatchDocument, { input: { strategyId, symbols, interval: '1h', from: new Date(START).toISOString(), to, commission } });
    const id = Buffer.from(created.runBacktestBatch.id, 'base64').toString().split(':')[1]!;
    const events = await deps.pubsub.listen('batch', id);
    // Listening first, then reading the state: a batch that completed in between is not missed.
    const done = (await deps.prisma.backtestBatch.findUniqueOrThrow({ where: { id } })).status === 'COMPLETED';
    if (!done) for await (const e of events) if (e.status === 'COMPLETED') break;
    await events.close();
    const ms = performance.now() - started;
    const batch = await deps.prisma.backtestBatch.findUniqueOrThrow({ where: { id } });
    return { ms, batch };
  };

  const cold = await runBatch(0.001);
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) warm.push((await runBatch(0.001 + (i + 1) * 1e-4)).ms);
  const peakBatch = peakRss;
  await consumer.stop();

  // Naive baseline: one query per symbol, row objects, engine on the main thread.
  const naiveStart = performance.now();
  const ids = await deps.prisma.instrument.findMany({ where: { symbol: { in: symbols } }, select: { id: true } });
  for (const { id } of ids) {
    const rows = await deps.prisma.candle.findMany({ where: { instrumentId: id }, orderBy: { ts: 'asc' } });
    const c = {
      time: Float64Array.from(rows, (r) => r.ts.getTime()),
      open: Float64Array.from(rows, (r) => r.open),
      high: Float64Array.from(rows, (r) => r.high),
      low: Float64Array.from(rows, (r) => r.low),
      close: Float64Array.from(rows, (r) => r.close),
      volume: Float64Array.from(rows, (r) => r.volume),
    };
    runEngine(c, { kind: 'SMA_CROSSOVER', params: { fast: 10, slow: 30 } }, { commission: 0.001 });
  }
  const naiveMs = performance.now() - naiveStart;

  console.log(`batch ${SYMBOLS} symbols (${deps.queue.mode} queue): cold ${(cold.ms / 1000).toFixed(2)} s (data fetch ${cold.batch.dataFetchMs} ms, completed ${cold.batch.completed}/${cold.batch.total}); warm median ${(median(warm) / 1000).toFixed(2)} s — budget ≤ 3 s cold, ≤ 1 s warm`);
  console.log(`naive path (one query per symbol, row objects, engine on the main thread): ${(naiveMs / 1000).toFixed(2)} s → batch is ${(naiveMs / median(warm)).toFixed(1)}× faster (warm), ${(naiveMs / cold.ms).toFixed(1)}× (cold)`);
  console.log(`peak RSS during the batches: ${(peakBatch / 2 ** 20).toFixed(0)} MiB (budget ≤ 1 GB)`);
});
clearInterval(sampler);
