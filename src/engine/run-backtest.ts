import { validateCandles, type PriceColumn } from './candle-validation.js';
import { BacktestCancelledError, BacktestInputError } from './errors.js';
import { computeMetrics, DAYS_PER_YEAR, observedPeriodsPerYear } from './metrics.js';
import { Portfolio } from './portfolio.js';
import { validateRunConfig } from './run-config.js';
import { Scratch } from './scratch.js';
import { computeSignals } from './strategies/compute-signals.js';
import { LONG_ENTRY, LONG_EXIT, SHORT_ENTRY, SHORT_EXIT } from './strategies/signal-flags.js';
import { isStrategyKind, validateStrategyParams } from './strategy-specs.js';
import type {
  BacktestAssumptions,
  BacktestHooks,
  BacktestResult,
  Candles,
  RunConfig,
  RunConfigInput,
  StrategyKind,
  ValidationIssue,
} from './types.js';

/** The AbortSignal is checked at least this often, in bars. */
export const ABORT_CHECK_INTERVAL_BARS = 4096;

/** A strategy as callers may send it; parameters are validated and defaulted by the run. */
export interface StrategyRequest {
  readonly kind: string;
  readonly params?: Readonly<Record<string, unknown>> | null;
}

/** Work buffers for indicator and signal arrays, reused across runs (see scratch.ts). */
const scratch = new Scratch();

/** Internal marker for "no order waiting for the next open". */
const NO_PENDING = 2;

/** Loop state carried between chunks of bars. */
interface LoopState {
  /** Target position (−1, 0, +1) to fill at the next open, or NO_PENDING. */
  pending: number;
  /** Running equity peak, starting at the initial capital. */
  peak: number;
  /** The peak before the last bar's mark (for re-marking after the end-of-data close). */
  peakBeforeLast: number;
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
 * @throws BacktestInputError listing every invalid candle column / strategy parameter / config field
 * @throws BacktestCancelledError when `hooks.signal` is aborted; no partial result is returned
 */
export function runBacktest(
  candles: Candles,
  strategy: StrategyRequest,
  config: RunConfigInput = {},
  hooks: BacktestHooks = {},
): BacktestResult {
  const { cfg, kind, params } = validateInputs(candles, strategy, config);
  const n = candles.close.length;
  const abortSignal = hooks.signal;
  if (abortSignal?.aborted) throw new BacktestCancelledError(0, n);

  const signals = scratch.int8(n);
  computeSignals(candles, kind, params, signals, scratch);
  if (abortSignal?.aborted) throw new BacktestCancelledError(0, n);

  const { open, close } = candles;
  const equity = new Float64Array(n);
  const drawdown = new Float64Array(n);
  const portfolio = new Portfolio(cfg.initialCapital, {
    commission: cfg.commission,
    slippage: cfg.slippage,
    positionSize: cfg.positionSize,
    lotSize: cfg.lotSize ?? null,
  });
  const fillAtClose = cfg.fillTiming === 'CLOSE';
  const last = n - 1;
  const state: LoopState = { pending: NO_PENDING, peak: cfg.initialCapital, peakBeforeLast: cfg.initialCapital };

  const onProgress = hooks.onProgress;
  const progressEvery = Math.max(1, Math.floor(hooks.progressEvery ?? Math.ceil(n / 100)));
  const chunk = Math.min(ABORT_CHECK_INTERVAL_BARS, progressEvery);
  let nextProgress = 1;

  // Bars are simulated in chunks so cancellation and progress cost nothing per bar.
  // The first chunk is bar 0 alone, so the first progress report comes after one bar.
  for (let start = 0; start < n; ) {
    const end = start === 0 ? 1 : Math.min(n, (Math.floor(start / chunk) + 1) * chunk);
    simulateBars(portfolio, state, signals, open, close, equity, drawdown, start, end, fillAtClose, cfg.allowShort);
    if (end === n && portfolio.quantity !== 0) {
      // The last bar's peak excludes its own pre-close-out mark, as if marked once after the close-out.
      portfolio.closePosition(close[last], last, true);
      equity[last] = portfolio.cash;
      const peak = Math.max(state.peakBeforeLast, portfolio.cash);
      drawdown[last] = portfolio.cash / peak - 1;
    }
    if (abortSignal?.aborted && end < n) throw new BacktestCancelledError(end, n);
    if (onProgress && (end >= nextProgress || end === n)) {
      onProgress(end, n, equity[end - 1]);
      nextProgress = (Math.floor(end / progressEvery) + 1) * progressEvery;
    }
    start = end;
  }

  const trades = portfolio.trades.toTrades(candles);
  const observed = observedPeriodsPerYear(candles.time);
  const periodsPerYear = cfg.periodsPerYear ?? observed;
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
  };
  const metrics = computeMetrics({
    time: candles.time,
    equity,
    drawdown,
    initialCapital: cfg.initialCapital,
    firstClose: close[0],
    lastClose: close[last],
    trades,
    periodsPerYear,
    riskFreeRate: cfg.riskFreeRate,
  });
  return {
    trades,
    // Shares candles.time (copying 8 MB per million bars would cost more than the run).
    equity: { time: candles.time, equity, drawdown },
    metrics,
    assumptions,
    barsProcessed: n,
    totalBars: n,
  };
}

/**
 * The bar loop for bars [start, end): fill the order pending from the previous close at
 * this open, act on this close's signal, mark equity and drawdown at the close. Kept apart from
 * `runBacktest` so V8 optimises it as a small function; cash and quantity live in locals
 * and are reloaded only after a fill (a few per thousand bars).
 */
function simulateBars(
  portfolio: Portfolio,
  state: LoopState,
  signals: Int8Array,
  open: Float64Array,
  close: Float64Array,
  equity: Float64Array,
  drawdown: Float64Array,
  start: number,
  end: number,
  fillAtClose: boolean,
  allowShort: boolean,
): void {
  const last = close.length - 1;
  let cash = portfolio.cash;
  let quantity = portfolio.quantity;
  let pendingTarget = state.pending;
  let peak = state.peak;
  for (let t = start; t < end; t++) {
    if (pendingTarget !== NO_PENDING) {
      portfolio.rebalance(pendingTarget, open[t], t, true);
      pendingTarget = NO_PENDING;
      cash = portfolio.cash;
      quantity = portfolio.quantity;
    }
    const flags = signals[t];
    if (flags !== 0) {
      const position = quantity > 0 ? 1 : quantity < 0 ? -1 : 0;
      const target = targetPosition(position, flags, allowShort);
      if (target !== position) {
        if (fillAtClose) {
          // An entry at the last close would be closed again at the same close and only pay fees.
          portfolio.rebalance(target, close[t], t, t < last);
          cash = portfolio.cash;
          quantity = portfolio.quantity;
        } else if (t < last) {
          pendingTarget = target;
        }
        // NEXT_OPEN with t = last: there is no next open, the signal is dropped.
      }
    }
    const e = cash + quantity * close[t];
    equity[t] = e;
    // Drawdown as computeDrawdown() defines it, fused here to save a pass over the curve.
    if (t === last) state.peakBeforeLast = peak;
    if (e > peak) peak = e;
    drawdown[t] = e / peak - 1;
  }
  state.pending = pendingTarget;
  state.peak = peak;
}

/**
 * The position wanted after a bar's signals, given the current one (−1, 0, +1).
 * Flat: LONG_ENTRY goes long, else SHORT_ENTRY goes short if allowed.
 * Long: SHORT_ENTRY reverses to short if allowed, else LONG_EXIT goes flat.
 * Short: LONG_ENTRY reverses to long, else SHORT_EXIT goes flat.
 */
function targetPosition(position: number, flags: number, allowShort: boolean): number {
  if (position === 0) {
    if (flags & LONG_ENTRY) return 1;
    if (allowShort && flags & SHORT_ENTRY) return -1;
    return 0;
  }
  if (position > 0) {
    if (allowShort && flags & SHORT_ENTRY) return -1;
    if (flags & LONG_EXIT) return 0;
    return 1;
  }
  if (flags & LONG_ENTRY) return 1;
  if (flags & SHORT_EXIT) return 0;
  return -1;
}

function validateInputs(
  candles: Candles,
  strategy: StrategyRequest,
  config: RunConfigInput,
): { cfg: RunConfig; kind: StrategyKind; params: Record<string, number> } {
  const issues: ValidationIssue[] = [];
  const prefix = (root: string, list: readonly ValidationIssue[]): ValidationIssue[] =>
    list.map((i) => ({ path: [root, ...i.path], message: i.message }));
  // Only the columns this run reads: every column checked is a full pass over memory.
  const columns: PriceColumn[] = ['close'];
  if (config?.fillTiming !== 'CLOSE') columns.push('open');
  if (strategy?.kind === 'DONCHIAN_BREAKOUT') columns.push('high', 'low');
  issues.push(...prefix('candles', validateCandles(candles, columns)));
  const kind = strategy?.kind;
  const strategyCheck = validateStrategyParams(kind, strategy?.params);
  // An unknown kind is reported by validateStrategyParams with an empty path.
  const strategyRoot = isStrategyKind(kind) ? ['strategy', 'params'] : ['strategy', 'kind'];
  issues.push(...strategyCheck.issues.map((i) => ({ path: [...strategyRoot, ...i.path], message: i.message })));
  const configCheck = validateRunConfig(config);
  issues.push(...prefix('config', configCheck.issues));
  if (issues.length > 0) throw new BacktestInputError(issues);
  return { cfg: configCheck.config, kind: kind as StrategyKind, params: strategyCheck.params };
}
