import { minuteSeries, withBenchDeps } from './bench-database.js';

/**
 * Budget (DESIGN.md §9): ingest ≥ 100,000 candles/s.
 * quantql's path: validation, binary COPY into a staging table, one INSERT (new range) or
 * INSERT … ON CONFLICT (overlapping range), the blocks, the portable aggregates and the
 * summary row in one transaction (TimescaleDB's aggregates follow in the background). Baseline in the same run: one INSERT … ON CONFLICT per candle.
 *   npx tsx bench/ingest.bench.ts            (embedded PostgreSQL)
 *   DATABASE_URL=postgresql://…/postgres npx tsx bench/ingest.bench.ts   (e.g. TimescaleDB)
 */
const N = Number(process.env.BENCH_CANDLES ?? 500_000);
const BASELINE_N = 20_000;

await withBenchDeps('ingest', async (deps) => {
  const series = minuteSeries(N, Date.UTC(2023, 0, 2));
  const t0 = performance.now();
  const result = await deps.services.marketData.ingestCandles({ symbol: 'BENCHINGEST', baseInterval: '1m', candles: series }, { maxCandles: null });
  const seconds = (performance.now() - t0) / 1000;
  const rate = N / seconds;

  const t1 = performance.now();
  const again = await deps.services.marketData.ingestCandles({ symbol: 'BENCHINGEST', baseInterval: '1m', candles: series }, { maxCandles: null });
  const idempotentSeconds = (performance.now() - t1) / 1000;

  // Every candle changed: the ON CONFLICT … DO UPDATE path over the whole range.
  const changedSeries = { ...series, close: series.close.map((v, i) => (series.low[i]! + series.high[i]!) / 2) };
  const t3 = performance.now();
  const changed = await deps.services.marketData.ingestCandles({ symbol: 'BENCHINGEST', baseInterval: '1m', candles: changedSeries }, { maxCandles: null });
  const changedSeconds = (performance.now() - t3) / 1000;

  const { rows } = await deps.db.pool.query<{ id: number }>(
    `INSERT INTO instrument (symbol, name, base_interval) VALUES ('BENCHNAIVE', 'naive', '1m') RETURNING id`,
  );
  const id = rows[0]!.id;
  const client = await deps.db.pool.connect();
  const t2 = performance.now();
  await client.query('BEGIN');
  for (let i = 0; i < BASELINE_N; i++) {
    await client.query(
      `INSERT INTO candle (instrument_id, ts, open, high, low, close, volume) VALUES ($1, to_timestamp($2 / 1000.0), $3, $4, $5, $6, $7)
       ON CONFLICT (instrument_id, ts) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume`,
      [id, series.time[i], series.open[i], series.high[i], series.low[i], series.close[i], series.volume[i]],
    );
  }
  await client.query('COMMIT');
  const naiveRate = BASELINE_N / ((performance.now() - t2) / 1000);
  client.release();

  console.log(`ingest ${N.toLocaleString('en')} 1m candles: ${seconds.toFixed(2)} s → ${Math.round(rate).toLocaleString('en')} candles/s (inserted ${result.inserted}; budget ≥ 100,000/s)`);
  console.log(`re-ingest (idempotent, 0 changes): ${idempotentSeconds.toFixed(2)} s (inserted ${again.inserted}, updated ${again.updated})`);
  console.log(`re-ingest, every candle changed: ${changedSeconds.toFixed(2)} s → ${Math.round(N / changedSeconds).toLocaleString('en')} candles/s (inserted ${changed.inserted}, updated ${changed.updated})`);
  console.log(`baseline, one statement per candle (${BASELINE_N.toLocaleString('en')}): ${Math.round(naiveRate).toLocaleString('en')} candles/s → quantql is ${(rate / naiveRate).toFixed(1)}× faster`);
});
