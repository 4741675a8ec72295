import { loadavg, cpus } from 'node:os';
import type { Runtime } from '../src/deps.js';
import { generateRandomWalkCandles } from '../src/engine/testing/synthetic-candles.js';
import { describeDialect, median, seededHourlyCandles, withBenchDatabase, withBenchRuntime } from './bench-database.js';

/**
 * Many symbols loaded one ingest at a time (issue 12): N symbols × BARS hourly bars over the
 * same years, one `ingestCandles` per symbol — as a loader calling the mutation or the CSV
 * import per file would. Prints the time of every 10th ingest, the total, the time until
 * TimescaleDB's aggregates have caught up (the background refresh, awaited at the end), and
 * the storage; both dialects side by side on the same server, so the ratio is what to read.
 *
 * Budgets: TimescaleDB's load ≤ 1.5× the portable dialect's; the 200th ingest ≤ 1.5× the 10th.
 *
 *   npm run bench:ingest-many                               portable, embedded PostgreSQL
 *   DATABASE_URL=postgresql://…/postgres npm run bench:ingest-many   portable and TimescaleDB on that server
 *   BENCH_SYMBOLS=40 BENCH_BARS=5000 …                      a quick one
 */
const SYMBOLS = Number(process.env.BENCH_SYMBOLS ?? 211);
const BARS = Number(process.env.BENCH_BARS ?? 44_000);
const START = Date.UTC(2019, 0, 7);
const adminUrl = process.env.DATABASE_URL ?? null;

interface Load {
  dialect: string;
  /** A 10-year daily import into the empty database (budget ≤ 0.5 s: chunk creation dominates). */
  dailyMs: number;
  every10th: Array<[number, number]>;
  /** Every ingest's time, in order. */
  all: number[];
  totalMs: number;
  catchUpMs: number;
  storage: Array<[string, number]>;
  /** TimescaleDB: every chunk compressed afterwards — how long, and the candle table's size then. */
  compressed: { ms: number; chunks: number; bytes: number } | null;
}

async function load(deps: Runtime): Promise<Load> {
  const daily = generateRandomWalkCandles(3_653, 7, { startTime: Date.UTC(2014, 0, 1), barMs: 86_400_000, volatility: 0.02 });
  const d = performance.now();
  await deps.services.marketData.ingestCandles({ symbol: 'DAILY10Y', baseInterval: '1d', candles: daily }, { maxCandles: null });
  const dailyMs = performance.now() - d;
  const every10th: Array<[number, number]> = [];
  const all: number[] = [];
  const started = performance.now();
  for (let i = 0; i < SYMBOLS; i++) {
    const candles = seededHourlyCandles(i, BARS, START);
    const t = performance.now();
    await deps.services.marketData.ingestCandles({ symbol: `MANY${String(i).padStart(3, '0')}`, baseInterval: '1h', candles }, { maxCandles: null });
    all.push(performance.now() - t);
    if ((i + 1) % 10 === 0) every10th.push([i + 1, all.at(-1)!]);
  }
  const totalMs = performance.now() - started;
  const c = performance.now();
  await deps.services.marketData.refreshAggregates();
  const catchUpMs = performance.now() - c;
  const sizes = await storage(deps);
  let compressed: Load['compressed'] = null;
  if (deps.dialect.timescaledb) {
    const z = performance.now();
    const chunks = await deps.services.marketData.compressCandles(new Date(0), new Date(Date.UTC(2100, 0, 1)));
    const ms = performance.now() - z;
    const { rows } = await deps.db.pool.query<{ bytes: number }>(`SELECT hypertable_size('candle')::float8 AS bytes`);
    compressed = { ms, chunks, bytes: rows[0]!.bytes };
  }
  return { dialect: describeDialect(deps), dailyMs, every10th, all, totalMs, catchUpMs, storage: sizes, compressed };
}

async function storage(deps: Runtime): Promise<Array<[string, number]>> {
  const size = deps.dialect.timescaledb
    ? `SELECT 'candle' AS name, hypertable_size('candle')::float8 AS bytes
       UNION ALL SELECT 'candle_1h (aggregate)', hypertable_size(format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)::regclass)::float8
         FROM timescaledb_information.continuous_aggregates WHERE view_name = 'candle_1h'
       UNION ALL SELECT 'candle_1d (aggregate)', hypertable_size(format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)::regclass)::float8
         FROM timescaledb_information.continuous_aggregates WHERE view_name = 'candle_1d'`
    : `SELECT 'candle' AS name, pg_total_relation_size('candle')::float8 AS bytes
       UNION ALL SELECT 'candle_1h', pg_total_relation_size('candle_1h')::float8
       UNION ALL SELECT 'candle_1d', pg_total_relation_size('candle_1d')::float8`;
  const { rows } = await deps.db.pool.query<{ name: string; bytes: number }>(
    `${size} UNION ALL SELECT 'candle_block', pg_total_relation_size('candle_block')::float8`,
  );
  return rows.map((r) => [r.name, r.bytes]);
}

const runs: Load[] = [];
console.log(`ingest-many bench: ${SYMBOLS} symbols × ${BARS.toLocaleString('en')} hourly bars, one ingest each; Node ${process.version}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const timescaledb of adminUrl ? (['off', 'auto'] as const) : (['off'] as const)) {
  runs.push(await withBenchDatabase(`many_${timescaledb}`, adminUrl, (url) => withBenchRuntime(url, load), { timescaledb }));
  const r = runs.at(-1)!;
  console.log(`[${r.dialect}] loaded in ${(r.totalMs / 1000).toFixed(1)} s; aggregates caught up ${(r.catchUpMs / 1000).toFixed(2)} s later`);
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`\n${'ingest #'.padEnd(12)}${runs.map((r) => r.dialect.padStart(40)).join('')}`);
for (let k = 0; k < runs[0]!.every10th.length; k++) {
  const n = runs[0]!.every10th[k]![0];
  console.log(`${String(n).padEnd(12)}${runs.map((r) => s(r.every10th[k]![1]).padStart(40)).join('')}`);
}
console.log(`${'total'.padEnd(12)}${runs.map((r) => s(r.totalMs).padStart(40)).join('')}`);
console.log(`${'+ catch-up'.padEnd(12)}${runs.map((r) => s(r.catchUpMs).padStart(40)).join('')}`);
console.log(`${'10y daily'.padEnd(12)}${runs.map((r) => s(r.dailyMs).padStart(40)).join('')}   (one import into the empty database; budget ≤ 0.5 s)`);
for (const r of runs) {
  // One ingest's time is noisy (a background refresh or a checkpoint may land on it): the
  // growth is also given for the medians of the ten ingests around the 10th and the 200th.
  const at = (n: number) => r.all[n - 1];
  const around = (n: number) => median(r.all.slice(Math.max(0, n - 5), n + 5));
  const lastN = Math.min(200, r.all.length);
  const growth =
    r.all.length >= 20
      ? `#${lastN} / #10 ${(at(lastN)! / at(10)!).toFixed(2)}×, medians around them ${(around(lastN) / around(10)).toFixed(2)}× (budget ≤ 1.5×)`
      : 'n/a';
  console.log(`[${r.dialect}] growth ${growth}; storage ${r.storage.map(([name, bytes]) => `${name} ${(bytes / 2 ** 20).toFixed(1)} MiB`).join(', ')}`);
  if (r.compressed) {
    const before = r.storage.find(([name]) => name === 'candle')![1];
    const saved = 1 - r.compressed.bytes / before;
    console.log(`[${r.dialect}] compressed ${r.compressed.chunks} chunks in ${s(r.compressed.ms)}: candle ${(before / 2 ** 20).toFixed(1)} → ${(r.compressed.bytes / 2 ** 20).toFixed(1)} MiB (${(saved * 100).toFixed(0)} % saved)`);
  }
}
if (runs.length === 2) {
  const [portable, timescale] = runs as [Load, Load];
  const ratio = timescale.totalMs / portable.totalMs;
  const withCatchUp = (timescale.totalMs + timescale.catchUpMs) / portable.totalMs;
  console.log(`TimescaleDB / portable: ${ratio.toFixed(2)}× (${withCatchUp.toFixed(2)}× with the catch-up); budget ≤ 1.5×: ${withCatchUp <= 1.5 ? 'met' : 'MISSED'}`);
}
