import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { downsampleEquity, runBacktest as runEngine, WorkBuffers } from '../src/engine/index.js';
import { BacktestBatchDocument, BatchProgressDocument, CreateStrategyDocument, RunBacktestBatchDocument } from '../examples/generated/graphql.js';
import { describeDialect, median, seededHourlyCandles, withBenchDatabase, withBenchRuntime } from './bench-database.js';
import { serverCpuMs, startStack, type BenchStack } from './bench-stack.js';

/**
 * The reference workload (DESIGN.md §9, issue 10): one SMA crossover over 211 symbols ×
 * 44,000 hourly bars via runBacktestBatch, timed through the real GraphQL API — from sending
 * the mutation to receiving the last `batchProgress` event over SSE — on each path:
 *   embedded  the API process alone (`npm start`: in-process queue, engine threads) on a
 *             throw-away embedded PostgreSQL;
 *   services  the API process and two worker processes (`npm run worker`: BullMQ, Redis
 *             pub/sub, L2 cache) on a fresh database of the DATABASE_URL server.
 * Figures: cold (processes started right after the ingest: both cache levels empty), warm
 * (caches warm, new commission each time: nothing reused), cached (an identical batch),
 * the naive path (one Prisma query per symbol, row objects, engine on the main thread) and
 * the engine floor (the same runs over in-memory candles, one thread, no I/O). Each is
 * printed as seconds and as a ratio to the floor, with the budget it is held to.
 *
 *   npm run bench:reference                                  embedded only
 *   DATABASE_URL=postgresql://…/postgres REDIS_URL=redis://… npm run bench:reference   both paths
 *   BENCH_PATHS=services BENCH_SYMBOLS=20 BENCH_BARS=5000 npm run bench:reference      a quick one
 */
const SYMBOLS = Number(process.env.BENCH_SYMBOLS ?? 211);
const BARS = Number(process.env.BENCH_BARS ?? 44_000);
const WARM_RUNS = 3;
const CACHED_RUNS = 5;
const HOUR = 3_600_000;
const START = Date.UTC(2019, 0, 7);
const STRATEGY = { kind: 'SMA_CROSSOVER', params: { fast: 10, slow: 30 } } as const;
const COLD_COMMISSION = 0.001;
const MiB = 2 ** 20;

type Path = 'embedded' | 'services';
const paths = (process.env.BENCH_PATHS ?? (process.env.DATABASE_URL && process.env.REDIS_URL ? 'embedded,services' : 'embedded')).split(',') as Path[];
const symbols = Array.from({ length: SYMBOLS }, (_, i) => `REF${String(i).padStart(3, '0')}`);

/** Symbol i's bars: the same for every run. */
const referenceCandles = (i: number) => seededHourlyCandles(i, BARS, START);

interface Measured {
  ms: number;
  serverMs: number | null;
  dataFetchMs: number | null;
}

async function runBatch(stack: BenchStack, strategyId: string, commission: number): Promise<Measured> {
  const started = performance.now();
  const created = (await stack.post(RunBacktestBatchDocument, {
    input: { strategyId, symbols, interval: '1h', from: new Date(START).toISOString(), to: new Date(START + BARS * HOUR).toISOString(), commission },
  })).runBacktestBatch;
  if (created.__typename !== 'BacktestBatch') throw new Error(`runBacktestBatch: ${JSON.stringify(created)}`);
  // The first event is the current state, so a batch that finished before the subscription is not missed.
  const events = await stack.subscribe(BatchProgressDocument, { id: created.id }, (e) => e.at(-1)!.batchProgress.status !== 'QUEUED' && e.at(-1)!.batchProgress.status !== 'RUNNING');
  const ms = performance.now() - started;
  const last = events.at(-1)?.batchProgress;
  if (last?.status !== 'COMPLETED' || last.completed !== SYMBOLS) throw new Error(`batch ended ${JSON.stringify(last)}`);
  const batch = (await stack.post(BacktestBatchDocument, { id: created.id })).backtestBatch!;
  return { ms, serverMs: batch.durationMs ?? null, dataFetchMs: batch.dataFetchMs ?? null };
}

interface PathFigures {
  path: Path;
  database: string;
  ingestSeconds: number;
  floorMs: number;
  cold: Measured;
  /** After the cold batch, until the processes were quiet (background cache work). */
  settleMs: number;
  warm: number[];
  cached: number[];
  naiveMs: number;
  processes: Array<{ name: string; peakRss: number; cpuCold: number; cpuSettle: number; cpuWarm: number }>;
  /** CPU of the servers' processes (they serve only this bench): PostgreSQL, and Redis on the services path. */
  serverCpu: Array<{ name: string; cold: number; settle: number; warm: number }>;
}

/**
 * Waits until the stack's processes and Redis are quiet — under 5 % of a core over half a
 * second, a minute at most — and returns how long that took. "Warm" means caches warm: a
 * cold batch leaves background cache work behind (on the services path, each worker copies
 * what it read to Redis once no chunk runs anywhere — Redis busy, the worker waiting on it —
 * and the other fills its L1 from there).
 */
async function settle(stack: BenchStack): Promise<number> {
  const started = performance.now();
  const busy = async () =>
    [...(await Promise.all(stack.processes.map((p) => p.cpuMs()))), ...Object.values(await serverCpuMs(['redis-server']))].reduce((a, b) => a + b, 0);
  for (let before = await busy(); performance.now() - started < 60_000; ) {
    await sleep(500);
    const now = await busy();
    if (now - before < 25) break;
    before = now;
  }
  return performance.now() - started;
}

async function measurePath(path: Path): Promise<PathFigures> {
  const adminUrl = path === 'services' ? requireEnv('DATABASE_URL') : null;
  return withBenchDatabase(`reference_${path}`, adminUrl, (url) =>
    withBenchRuntime(url, async (deps) => {
      const database = `${path === 'embedded' ? 'embedded PostgreSQL' : 'DATABASE_URL server'}, ${describeDialect(deps)}`;
      process.stdout.write(`[${path}] ${database}: ingesting ${SYMBOLS} × ${BARS.toLocaleString('en')} hourly bars … `);
      const t0 = performance.now();
      // One instrument's candles in memory at a time; the aggregates and summary refreshed once.
      const inputs = function* () {
        for (const [i, symbol] of symbols.entries()) yield { symbol, baseInterval: '1h', candles: referenceCandles(i) };
      };
      await deps.services.marketData.ingestMany(inputs(), { maxCandles: null });
      const ingestSeconds = (performance.now() - t0) / 1000;
      console.log(`${ingestSeconds.toFixed(1)} s`);
      // Planner statistics, and the visibility map of the fresh tables: without it autovacuum
      // would pick the 9 M new rows up during the cold run and take one of the two cores.
      await deps.db.pool.query('VACUUM ANALYZE');

      const floorMs = engineFloor();
      const key = await deps.services.accounts.createApiKey({ owner: 'bench', role: 'trader' });
      const stack = await startStack({
        databaseUrl: url,
        apiKey: key.key,
        redis: path === 'services' ? { url: requireEnv('REDIS_URL'), keyPrefix: `quantql-bench-${randomUUID()}:`, workers: 2 } : undefined,
      });
      try {
        const servers = path === 'services' ? ['postgres', 'redis-server'] : ['postgres'];
        const cpu = async () => [...(await Promise.all(stack.processes.map((p) => p.cpuMs()))), ...Object.values(await serverCpuMs(servers))];
        const strategy = (await stack.post(CreateStrategyDocument, { input: { name: 'SMA 10/30', kind: STRATEGY.kind, parameters: STRATEGY.params } })).createStrategy;
        if (strategy.__typename !== 'Strategy') throw new Error(`createStrategy: ${JSON.stringify(strategy)}`);

        const cpu0 = await cpu();
        const cold = await runBatch(stack, strategy.id, COLD_COMMISSION);
        console.log(`[${path}] cold ${(cold.ms / 1000).toFixed(2)} s`);
        const cpu1 = await cpu();
        const settleMs = await settle(stack);
        const cpuSettled = await cpu();
        const warm: number[] = [];
        for (let i = 1; i <= WARM_RUNS; i++) warm.push((await runBatch(stack, strategy.id, COLD_COMMISSION + i * 1e-4)).ms);
        const cpu2 = await cpu();
        const cached: number[] = [];
        for (let i = 0; i < CACHED_RUNS; i++) cached.push((await runBatch(stack, strategy.id, COLD_COMMISSION)).ms);
        const processes = await Promise.all(
          stack.processes.map(async (p, i) => ({
            name: p.name,
            peakRss: await p.peakRss(),
            cpuCold: cpu1[i]! - cpu0[i]!,
            cpuSettle: cpuSettled[i]! - cpu1[i]!,
            cpuWarm: (cpu2[i]! - cpuSettled[i]!) / WARM_RUNS,
          })),
        );
        const serverCpu = servers.map((name, k) => {
          const i = stack.processes.length + k;
          return { name: name === 'postgres' ? 'PostgreSQL' : 'Redis', cold: cpu1[i]! - cpu0[i]!, settle: cpuSettled[i]! - cpu1[i]!, warm: (cpu2[i]! - cpuSettled[i]!) / WARM_RUNS };
        });
        await stack.stop();
        const naiveMs = await naivePath(deps);
        return { path, database, ingestSeconds, floorMs, cold, settleMs, warm, cached, naiveMs, processes, serverCpu };
      } finally {
        await stack.stop();
      }
    }),
  );
}

/**
 * The engine floor: every symbol's run over in-memory candles, one after another on this
 * thread (median of three passes, so the JIT has warmed up as it has in a serving process).
 */
function engineFloor(): number {
  const buffers = new WorkBuffers();
  const pass = () => {
    let ms = 0;
    for (let i = 0; i < SYMBOLS; i++) {
      const candles = referenceCandles(i);
      const t = performance.now();
      const result = runEngine(candles, STRATEGY, { commission: COLD_COMMISSION }, {}, buffers);
      downsampleEquity(result.equity, 2_000);
      void result.tradeColumns;
      ms += performance.now() - t;
    }
    return ms;
  };
  return median([pass(), pass(), pass()]);
}

/** The naive path: one Prisma query per symbol, row objects, the engine on the main thread. */
async function naivePath(deps: Parameters<Parameters<typeof withBenchRuntime>[1]>[0]): Promise<number> {
  const t = performance.now();
  const instruments = await deps.prisma.instrument.findMany({ where: { symbol: { in: symbols } }, select: { id: true } });
  for (const { id } of instruments) {
    const rows = await deps.prisma.candle.findMany({ where: { instrumentId: id }, orderBy: { ts: 'asc' } });
    const candles = {
      time: Float64Array.from(rows, (r) => r.ts.getTime()),
      open: Float64Array.from(rows, (r) => r.open),
      high: Float64Array.from(rows, (r) => r.high),
      low: Float64Array.from(rows, (r) => r.low),
      close: Float64Array.from(rows, (r) => r.close),
      volume: Float64Array.from(rows, (r) => r.volume),
    };
    runEngine(candles, STRATEGY, { commission: COLD_COMMISSION });
  }
  return performance.now() - t;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`the services path needs ${name}`);
  return value;
}

const s = (ms: number) => `${(ms / 1000).toFixed(ms < 100 ? 3 : 2)} s`;
/** The time budgets are for the reference set; a scaled-down run shows its figures and ratios only. */
const FULL_SCALE = SYMBOLS === 211 && BARS === 44_000;
const check = (ok: boolean) => (!FULL_SCALE ? 'n/a at this scale' : ok ? 'met' : 'MISSED');

function report(f: PathFigures): void {
  const warm = median(f.warm);
  const cached = median(f.cached);
  const ratio = (ms: number) => `${(ms / f.floorMs).toFixed(1)}×`;
  const rows: Array<[string, string, string, string]> = [
    ['engine floor (1 thread)', s(f.floorMs), '1.0×', ''],
    ['cold', s(f.cold.ms), ratio(f.cold.ms), `≤ 3 s and ≤ 10× floor: ${check(f.cold.ms <= 3000 && f.cold.ms <= 10 * f.floorMs)}`],
    [`warm (median of ${f.warm.length})`, s(warm), ratio(warm), `≤ 1 s and ≤ 3× floor: ${check(warm <= 1000 && warm <= 3 * f.floorMs)}`],
    [`cached (median of ${f.cached.length})`, s(cached), ratio(cached), `≤ 100 ms: ${check(cached <= 100)}`],
    ['naive path', s(f.naiveMs), ratio(f.naiveMs), `batch ≥ 10× faster: warm ${(f.naiveMs / warm).toFixed(1)}×, cold ${(f.naiveMs / f.cold.ms).toFixed(1)}× — ${check(f.naiveMs >= 10 * f.cold.ms)}`],
  ];
  console.log(`\n[${f.path}] ${f.database}; ingest ${f.ingestSeconds.toFixed(1)} s (${((SYMBOLS * BARS) / f.ingestSeconds / 1000).toFixed(0)}k candles/s)`);
  console.log(`  cold: server ${f.cold.serverMs ?? '?'} ms, candle fetch ${f.cold.dataFetchMs ?? '?'} ms (summed over chunks); warm runs ${f.warm.map(s).join(', ')}; cached ${f.cached.map(s).join(', ')}`);
  console.log(`  after the cold batch, background cache work until the processes were quiet: ${s(f.settleMs)}`);
  for (const [name, time, r, budget] of rows) console.log(`  ${name.padEnd(26)} ${time.padStart(9)} ${r.padStart(8)}   ${budget}`);
  for (const p of f.processes) {
    console.log(`  ${`process ${p.name}`.padEnd(26)} peak RSS ${(p.peakRss / MiB).toFixed(0).padStart(5)} MiB (≤ 1 GB: ${check(p.peakRss <= 1e9)}), CPU cold ${s(p.cpuCold)}, after it ${s(p.cpuSettle)}, warm ${s(p.cpuWarm)}`);
  }
  for (const server of f.serverCpu) console.log(`  ${`${server.name} (all processes)`.padEnd(26)} CPU cold ${s(server.cold)}, after it ${s(server.settle)}, warm ${s(server.warm)}`);
}

console.log(
  `reference bench: ${SYMBOLS} symbols × ${BARS.toLocaleString('en')} hourly bars (${((SYMBOLS * BARS) / 1e6).toFixed(2)} M candles), SMA crossover 10/30; ` +
    `Node ${process.version}, ${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; paths: ${paths.join(', ')}`,
);
const figures: PathFigures[] = [];
for (const path of paths) figures.push(await measurePath(path));
for (const f of figures) report(f);
