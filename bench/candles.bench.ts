import { print } from 'graphql';
import { createApp } from '../src/app.js';
import { CandlesDocument } from '../examples/generated/graphql.js';
import { median, minuteSeries, withBenchDeps } from './bench-database.js';

/**
 * Budget (DESIGN.md §9): `candles` for one year of 1-minute bars downsampled to 1,000
 * points ≤ 50 ms. Measured end to end through the GraphQL handler (app.fetch, JSON out).
 * Baseline in the same run: fetch every raw row as an object and aggregate in JavaScript.
 *   npx tsx bench/candles.bench.ts
 *   DATABASE_URL=postgresql://…/postgres npx tsx bench/candles.bench.ts
 */
const BARS = 525_600;
const RUNS = 30;
const FROM = Date.UTC(2023, 0, 2);

await withBenchDeps('candles', async (deps) => {
  const series = minuteSeries(BARS, FROM);
  await deps.services.marketData.ingestCandles({ symbol: 'BENCH1M', baseInterval: '1m', candles: series }, { maxCandles: null });
  await deps.db.pool.query('ANALYZE');
  const app = createApp(deps);
  const variables = { symbol: 'BENCH1M', interval: '1m', from: new Date(FROM).toISOString(), to: new Date(FROM + BARS * 60_000).toISOString(), maxPoints: 1000 };
  const body = JSON.stringify({ query: print(CandlesDocument), variables });
  const request = async () => {
    const res = await app.fetch('http://bench/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return (await res.json()) as { data: { candles: { interval: string; source: string; candles: unknown[] } } };
  };
  const sample = await request();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await request();
    times.push(performance.now() - t);
  }

  const naive: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const { rows } = await deps.db.pool.query<{ ts: Date; open: number; high: number; low: number; close: number; volume: number }>(
      `SELECT ts, open, high, low, close, volume FROM candle WHERE instrument_id = (SELECT id FROM instrument WHERE symbol = 'BENCH1M') ORDER BY ts`,
    );
    const width = 12 * 3_600_000;
    const out = new Map<number, { open: number; high: number; low: number; close: number; volume: number }>();
    for (const r of rows) {
      const b = Math.floor(r.ts.getTime() / width) * width;
      const bar = out.get(b);
      if (!bar) out.set(b, { open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume });
      else {
        bar.high = Math.max(bar.high, r.high);
        bar.low = Math.min(bar.low, r.low);
        bar.close = r.close;
        bar.volume += r.volume;
      }
    }
    JSON.stringify([...out.values()]);
    naive.push(performance.now() - t);
  }
  const m = median(times);
  console.log(`candles 1y of 1m (${BARS.toLocaleString('en')} bars) → maxPoints 1000: interval ${sample.data.candles.interval}, source ${sample.data.candles.source}, ${sample.data.candles.candles.length} points`);
  console.log(`median ${m.toFixed(1)} ms, p90 ${[...times].sort((a, b) => a - b)[Math.floor(RUNS * 0.9)]!.toFixed(1)} ms over ${RUNS} requests (budget ≤ 50 ms)`);
  console.log(`baseline, raw rows as objects aggregated in JS: median ${median(naive).toFixed(1)} ms → quantql is ${(median(naive) / m).toFixed(1)}× faster`);
});
