/**
 * Engine budget (DESIGN.md §9): SMA crossover over 1,000,000 bars in ≤ 20 ms on one core.
 *
 *   npx tsx bench/engine.bench.ts        (or: npm run bench:engine)
 *
 * Generates 1,000,000 hourly bars deterministically (seeded random walk), warms up, then
 * times every strategy kind with its default parameters (median of RUNS runs, commission
 * 0.1%, NEXT_OPEN). A timed run is the whole `runBacktest` call: it produces the equity
 * curve, the columnar trades (`tradeColumns`) and every metric. It does NOT touch the two
 * lazily built parts of the result — `result.trades` (objects) and `result.equity.drawdown`
 * (array) — whose one-off cost on first access is timed and printed separately for SMA
 * crossover. Then, in the same process, a naive implementation of SMA crossover the
 * way it is often first written — an array of row objects, a slice per bar to compute each
 * average, a pushed equity array — checking that both produce the same trades.
 * Timings are printed, never asserted (machines are noisy); the exit code is 0 either way.
 */
import { runBacktest, STRATEGY_KINDS, strategySpecs, WorkBuffers } from '../src/engine/index.js';
import type { Candles } from '../src/engine/index.js';
import { generateRandomWalkCandles } from '../src/engine/testing/synthetic-candles.js';

const BARS = 1_000_000;
const RUNS = 15;
const WARMUP_RUNS = 5;
const BUDGET_MS = 20;
const CONFIG = { initialCapital: 10_000, commission: 0.001 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Times `use(prepare())` only, `runs` times (each on a fresh `prepare()` result). */
function timeFirstAccess<T>(runs: number, prepare: () => T, use: (value: T) => unknown): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const value = prepare();
    const start = performance.now();
    use(value);
    times.push(performance.now() - start);
  }
  return times;
}

function timeRuns(runs: number, fn: () => unknown): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times;
}

interface Row {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * The naive baseline: row objects, the averages recomputed from a fresh slice every bar,
 * equity pushed onto a growing array, trades as objects as they happen. Same rules as the
 * engine (NEXT_OPEN, commission on both fills, strict crossovers, end-of-data close).
 */
function naiveSmaCrossover(rows: Row[], fast: number, slow: number, capital: number, commission: number) {
  const average = (window: Row[]) => window.map((r) => r.close).reduce((a, b) => a + b, 0) / window.length;
  let cash = capital;
  let quantity = 0;
  let entry: { price: number; fee: number; bar: number } | null = null;
  let pending: 'BUY' | 'SELL' | null = null;
  const equity: number[] = [];
  const trades: { entryBar: number; exitBar: number; pnl: number }[] = [];
  let previous: { fast: number; slow: number } | null = null;
  const sell = (price: number, bar: number) => {
    const fee = commission * quantity * price;
    cash += quantity * price - fee;
    trades.push({ entryBar: entry!.bar, exitBar: bar, pnl: (price - entry!.price) * quantity - entry!.fee - fee });
    quantity = 0;
    entry = null;
  };
  rows.forEach((row, t) => {
    if (pending === 'BUY') {
      quantity = cash / (row.open * (1 + commission));
      const fee = commission * quantity * row.open;
      cash -= quantity * row.open + fee;
      entry = { price: row.open, fee, bar: t };
    } else if (pending === 'SELL') {
      sell(row.open, t);
    }
    pending = null;
    const current =
      t >= slow - 1 ? { fast: average(rows.slice(t - fast + 1, t + 1)), slow: average(rows.slice(t - slow + 1, t + 1)) } : null;
    if (previous && current && t < rows.length - 1) {
      if (previous.fast < previous.slow && current.fast > current.slow && quantity === 0) pending = 'BUY';
      if (previous.fast > previous.slow && current.fast < current.slow && quantity > 0) pending = 'SELL';
    }
    previous = current;
    equity.push(cash + quantity * row.close);
  });
  if (quantity > 0) {
    sell(rows[rows.length - 1].close, rows.length - 1);
    equity[equity.length - 1] = cash;
  }
  return { trades, finalEquity: equity[equity.length - 1] };
}

function toRows(candles: Candles): Row[] {
  return Array.from(candles.close, (close, t) => ({
    time: candles.time[t],
    open: candles.open[t],
    high: candles.high[t],
    low: candles.low[t],
    close,
    volume: candles.volume[t],
  }));
}

function main(): void {
  // One set of work buffers for every run, as an engine thread keeps one (see work-buffers.ts).
  const buffers = new WorkBuffers();
  const candles = generateRandomWalkCandles(BARS, 20240601);
  console.log(`engine bench: ${BARS.toLocaleString('en-US')} bars, median of ${RUNS} runs, Node ${process.version}`);
  console.log('');
  console.log('kind                   params                                        median ms     bars/s   trades');
  const results = new Map<string, number>();
  for (const kind of STRATEGY_KINDS) {
    for (let i = 0; i < WARMUP_RUNS; i++) runBacktest(candles, { kind }, CONFIG, {}, buffers);
    const result = runBacktest(candles, { kind }, CONFIG, {}, buffers);
    const ms = median(timeRuns(RUNS, () => runBacktest(candles, { kind }, CONFIG, {}, buffers)));
    results.set(kind, ms);
    const params = JSON.stringify(result.assumptions.strategy.params);
    const barsPerSecond = (BARS / ms) * 1000;
    console.log(
      `${kind.padEnd(22)} ${params.padEnd(45)} ${ms.toFixed(2).padStart(9)} ${(barsPerSecond / 1e6).toFixed(1).padStart(8)}M ${String(result.metrics.tradeCount).padStart(8)}`,
    );
  }

  const smaRun = () => runBacktest(candles, { kind: 'SMA_CROSSOVER' }, CONFIG, {}, buffers);
  const tradesMs = median(timeFirstAccess(RUNS, smaRun, (r) => r.trades.length));
  const drawdownMs = median(timeFirstAccess(RUNS, smaRun, (r) => r.equity.drawdown.length));
  console.log('');
  console.log('SMA_CROSSOVER, on first access (not included above; median of 15):');
  console.log(`  result.trades (${smaRun().tradeColumns.count} Trade objects from tradeColumns): ${tradesMs.toFixed(2)} ms`);
  console.log(`  result.equity.drawdown (1,000,000-value array):       ${drawdownMs.toFixed(2)} ms`);

  const spec = strategySpecs.find((s) => s.kind === 'SMA_CROSSOVER')!;
  const fast = spec.parameters.find((p) => p.name === 'fast')!.default;
  const slow = spec.parameters.find((p) => p.name === 'slow')!.default;
  const rows = toRows(candles);
  naiveSmaCrossover(rows, fast, slow, CONFIG.initialCapital, CONFIG.commission); // warm-up
  const naive = naiveSmaCrossover(rows, fast, slow, CONFIG.initialCapital, CONFIG.commission);
  const naiveMs = median(timeRuns(3, () => naiveSmaCrossover(rows, fast, slow, CONFIG.initialCapital, CONFIG.commission)));
  const engine = runBacktest(candles, { kind: 'SMA_CROSSOVER' }, CONFIG, {}, buffers);
  const agrees =
    naive.trades.length === engine.trades.length &&
    naive.trades.every((t, i) => t.entryBar === engine.trades[i].entryBar && t.exitBar === engine.trades[i].exitBar) &&
    Math.abs(naive.finalEquity - engine.metrics.finalEquity) <= 1e-6 * Math.abs(engine.metrics.finalEquity);
  const smaMs = results.get('SMA_CROSSOVER')!;
  console.log('');
  console.log(`naive SMA crossover (row objects, slice per bar): ${naiveMs.toFixed(1)} ms (median of 3)`);
  console.log(`engine SMA crossover:                              ${smaMs.toFixed(2)} ms → ${(naiveMs / smaMs).toFixed(0)}× faster`);
  console.log(`same trades and final equity as the naive path:    ${agrees ? 'yes' : 'NO'}`);
  console.log(`budget SMA crossover ≤ ${BUDGET_MS} ms:                       ${smaMs <= BUDGET_MS ? 'met' : 'NOT met'}`);
}

main();
