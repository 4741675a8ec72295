import { validateCandles } from './candle-validation.js';
import { BacktestCancelledError, BacktestInputError } from './errors.js';
import { computeDrawdown, computeMetrics, DAYS_PER_YEAR, observedPeriodsPerYear } from './metrics.js';
import { Portfolio } from './portfolio.js';
import { validateRunConfig } from './run-config.js';
import { WorkBuffers } from './work-buffers.js';
import { LoopState, simulateBars, type LoopContext } from './simulate.js';
import { computeSignals } from './strategies/compute-signals.js';
import { findStrategySpec, isStrategyKind, validateStrategyParams } from './strategy-specs.js';
import { tradesFromColumns } from './trade-log.js';
import type {
  BacktestAssumptions,
  BacktestHooks,
  BacktestResult,
  Candles,
  RunConfig,
  RunConfigInput,
  StrategyKind,
  Trade,
  ValidationIssue,
} from './types.js';

/** The AbortSignal is checked at least this often, in bars. */
export const ABORT_CHECK_INTERVAL_BARS = 4096;

/** A strategy as callers may send it; parameters are validated and defaulted by the run. */
export interface StrategyRequest {
  readonly kind: string;
  readonly params?: Readonly<Record<string, unknown>> | null;
}


/**
 * Runs one backtest over columnar candles. Deterministic and synchronous; no I/O, no clock.
 *
 * Semantics (docs/backtest-assumptions.md has the full list with the tests proving each):
 * the strategy's signal at the close of bar t is filled at the open of bar t+1
 * (NEXT_OPEN) or at the close of bar t (CLOSE); equity is marked at every close; an open
 * position is closed at the last close and counted as a trade.
 *
 * @param candles columnar OHLCV, oldest first (see `validateCandles`)
 * @param strategy kind + parameters (validated with `validateStrategyParams`, defaults filled)
 * @param config run configuration (validated with `validateRunConfig`, defaults filled)
 * @param hooks progress callback and cancellation signal
 * @param buffers work buffers to reuse (see work-buffers.ts): a caller running many backtests
 *   passes the same one every time; by default each run allocates its own
 * @throws BacktestInputError listing every invalid candle column / strategy parameter / config field
 * @throws BacktestCancelledError when `hooks.signal` is aborted; no partial result is returned
 */
export function runBacktest(
  candles: Candles,
  strategy: StrategyRequest,
  config: RunConfigInput = {},
  hooks: BacktestHooks = {},
  buffers: WorkBuffers = new WorkBuffers(),
): BacktestResult {
  const { cfg, kind, params } = validateInputs(candles, strategy, config);
  const n = candles.close.length;
  const abortSignal = hooks.signal;
  if (abortSignal?.aborted) throw new BacktestCancelledError(0, n);

  const signals = buffers.int8(n);
  computeSignals(candles, kind, params, signals, buffers);
  if (abortSignal?.aborted) throw new BacktestCancelledError(0, n);

  const periodsPerYear = cfg.periodsPerYear ?? observedPeriodsPerYear(candles.time);
  const tradeLog = buffers.trades;
  tradeLog.reset();
  const portfolio = new Portfolio(
    cfg.initialCapital,
    {
      commission: cfg.commission,
      slippage: cfg.slippage,
      positionSize: cfg.positionSize,
      lotSize: cfg.lotSize ?? null,
    },
    tradeLog,
  );
  const ctx: LoopContext = {
    portfolio,
    signals,
    time: candles.time,
    open: candles.open,
    close: candles.close,
    equity: new Float64Array(n),
    fillAtClose: cfg.fillTiming === 'CLOSE',
    allowShort: cfg.allowShort,
  };
  const state = new LoopState();

  const onProgress = hooks.onProgress;
  const progressEvery = Math.max(1, Math.floor(hooks.progressEvery ?? Math.ceil(n / 100)));
  const chunk = Math.min(ABORT_CHECK_INTERVAL_BARS, progressEvery);
  let nextProgress = 1;

  // Bars are simulated in chunks so cancellation and progress cost nothing per bar.
  // The first chunk is bar 0 alone, so the first progress report comes after one bar.
  for (let start = 0; start < n; ) {
    const end = start === 0 ? 1 : Math.min(n, (Math.floor(start / chunk) + 1) * chunk);
    const badBar = simulateBars(state, ctx, start, end);
    if (badBar >= 0) throw new BacktestInputError(describeBadBar(candles, badBar));
    if (abortSignal?.aborted && end < n) throw new BacktestCancelledError(end, n);
    if (onProgress && (end >= nextProgress || end === n)) {
      onProgress(end, n, ctx.equity[end - 1]);
      nextProgress = (Math.floor(end / progressEvery) + 1) * progressEvery;
    }
    start = end;
  }

  const tradeColumns = portfolio.trades.columns();
  const assumptions: BacktestAssumptions = {
    strategy: { kind, params },
    initialCapital: cfg.initialCapital,
    commission: cfg.commission,
    slippage: cfg.slippage,
    positionSize: cfg.positionSize,
    fillTiming: cfg.fillTiming,
    allowShort: cfg.allowShort,
    lotSize: cfg.lotSize ?? null,
    riskFreeRate: cfg.riskFreeRate,
    periodsPerYear,
    periodsPerYearSource: cfg.periodsPerYear != null ? 'CONFIG' : 'OBSERVED',
    daysPerYear: DAYS_PER_YEAR,
    entriesSkipped: portfolio.entriesSkipped,
  };
  const metrics = computeMetrics({
    time: candles.time,
    equity: ctx.equity,
    initialCapital: cfg.initialCapital,
    firstClose: candles.close[0],
    lastClose: candles.close[n - 1],
    trades: tradeColumns,
    periodsPerYear,
    riskFreeRate: cfg.riskFreeRate,
  });
  // Built on first access and cached: the trade objects and the drawdown array cost more
  // (allocation, page faults, GC) than a caller that never reads them should pay.
  const equity = ctx.equity;
  const initialCapital = cfg.initialCapital;
  let trades: Trade[] | undefined;
  let drawdown: Float64Array | undefined;
  return {
    get trades(): Trade[] {
      return (trades ??= tradesFromColumns(tradeColumns));
    },
    tradeColumns,
    // Shares candles.time (copying 8 MB per million bars would cost more than the run).
    equity: {
      time: candles.time,
      equity,
      get drawdown(): Float64Array {
        return (drawdown ??= computeDrawdown(equity, initialCapital));
      },
    },
    metrics,
    assumptions,
    barsProcessed: n,
    totalBars: n,
  };
}

function validateInputs(
  candles: Candles,
  strategy: StrategyRequest,
  config: RunConfigInput,
): { cfg: RunConfig; kind: StrategyKind; params: Record<string, number> } {
  const issues: ValidationIssue[] = [];
  const prefix = (root: string, list: readonly ValidationIssue[]): ValidationIssue[] =>
    list.map((i) => ({ path: [root, ...i.path], message: i.message }));
  // Structure now; values as they are used: the simulator checks the time and close of
  // every bar and the open of every fill (a separate pass over a million bars costs about
  // as much as the simulation). What else a strategy reads (Donchian: high and low) is
  // checked before the simulation.
  const kind = strategy?.kind;
  const extra = isStrategyKind(kind) ? (findStrategySpec(kind)?.reads.filter((c): c is 'high' | 'low' => c !== 'volume') ?? []) : [];
  issues.push(...prefix('candles', validateCandles(candles, extra)));
  const strategyCheck = validateStrategyParams(kind, strategy?.params);
  // An unknown kind is reported by validateStrategyParams with an empty path.
  const strategyRoot = isStrategyKind(kind) ? ['strategy', 'params'] : ['strategy', 'kind'];
  issues.push(...strategyCheck.issues.map((i) => ({ path: [...strategyRoot, ...i.path], message: i.message })));
  const configCheck = validateRunConfig(config);
  issues.push(...prefix('config', configCheck.issues));
  if (issues.length > 0) throw new BacktestInputError(issues);
  return { cfg: configCheck.config, kind: kind as StrategyKind, params: strategyCheck.params };
}

/** The precise issue for a bar the simulator rejected (its time, its close, or the open it filled at). */
function describeBadBar(candles: Candles, bar: number): ValidationIssue[] {
  const upToBar = {
    time: candles.time.subarray(0, bar + 1),
    open: candles.open.subarray(0, bar + 1),
    high: candles.high.subarray(0, bar + 1),
    low: candles.low.subarray(0, bar + 1),
    close: candles.close.subarray(0, bar + 1),
    volume: candles.volume.subarray(0, bar + 1),
  };
  // The open is only reported if it was the problem, i.e. the time and close are fine.
  let issues = validateCandles(upToBar, ['time', 'close']);
  if (issues.length === 0) issues = validateCandles(upToBar, ['open']).filter((i) => i.path[1] === String(bar));
  return issues.map((i) => ({ path: ['candles', ...i.path], message: i.message }));
}
