import type { BacktestMetrics, Trade, TradeColumns } from './types.js';

/** Days in a calendar year for CAGR and observed bars per year (Julian year). */
export const DAYS_PER_YEAR = 365.25;
/** Milliseconds in a calendar year of `DAYS_PER_YEAR` days. */
export const MS_PER_YEAR = DAYS_PER_YEAR * 24 * 60 * 60 * 1000;

/**
 * Observed bars per calendar year: (n − 1) intervals / span in years, where span =
 * (time[n−1] − time[0]) / (365.25 days). Null with fewer than 2 bars or a zero span.
 * E.g. 366 daily bars spanning 365 days give 365 / (365 / 365.25) = 365.25.
 *
 * @param time epoch milliseconds, strictly increasing
 */
export function observedPeriodsPerYear(time: Float64Array): number | null {
  const n = time.length;
  if (n < 2) return null;
  const years = (time[n - 1] - time[0]) / MS_PER_YEAR;
  return years > 0 ? (n - 1) / years : null;
}

/**
 * drawdown[t] = equity[t] / peak[t] − 1 where peak[t] = max(initialCapital, equity[0..=t]).
 * The peak starts at the initial capital so an entry fee on the first bar is a drawdown.
 */
export function computeDrawdown(
  equity: Float64Array,
  initialCapital: number,
  out: Float64Array = new Float64Array(equity.length),
): Float64Array {
  let peak = initialCapital;
  for (let t = 0; t < equity.length; t++) {
    const e = equity[t];
    if (e > peak) peak = e;
    out[t] = e / peak - 1;
  }
  return out;
}

export interface MetricsInput {
  /** Bar open times, epoch ms (only the first and last are used, for CAGR). */
  readonly time: Float64Array;
  /** Equity marked at each bar's close (after any fills at that close). */
  readonly equity: Float64Array;
  /**
   * Per-bar drawdown as computed by `computeDrawdown`. Optional: when absent it is derived
   * from `equity` and `initialCapital` inside the metrics pass, without an array.
   */
  readonly drawdown?: Float64Array | null;
  readonly initialCapital: number;
  /** First and last close of the range, for buy-and-hold. */
  readonly firstClose: number;
  readonly lastClose: number;
  /** Trade objects, or the same trades columnar (what `runBacktest` passes). */
  readonly trades: readonly Trade[] | TradeColumns;
  /** Bars per year for annualisation, or null when unknown (annualised metrics become null). */
  readonly periodsPerYear: number | null;
  /** Annual risk-free rate, a fraction; converted per bar as (1 + rf)^(1/P) − 1. */
  readonly riskFreeRate: number;
}

/** Per-bar risk-free rate for P bars per year: (1 + annual)^(1/P) − 1; 0 when P is unknown. */
export function riskFreePerBar(annualRate: number, periodsPerYear: number | null): number {
  return periodsPerYear === null ? 0 : Math.pow(1 + annualRate, 1 / periodsPerYear) - 1;
}

/**
 * Every metric of DESIGN.md §4 (see `metricCatalog` for each formula). Bar returns are
 * r[t] = equity[t] / equity[t−1] − 1 for t = 0..n−1 with equity[−1] = initialCapital, so
 * Π(1 + r) = finalEquity / initialCapital. Anything undefined (no trades, zero variance,
 * unknown periods per year, a non-positive equity) is null — never NaN or ±Infinity.
 */
export function computeMetrics(input: MetricsInput): BacktestMetrics {
  const { equity, drawdown, initialCapital, trades, periodsPerYear: P, riskFreeRate } = input;
  const n = equity.length;
  const finalEquity = n > 0 ? equity[n - 1] : initialCapital;
  const totalReturn = finalEquity / initialCapital - 1;

  const years = n >= 2 ? (input.time[n - 1] - input.time[0]) / MS_PER_YEAR : 0;
  const cagr = years > 0 && finalEquity >= 0 ? Math.pow(finalEquity / initialCapital, 1 / years) - 1 : null;

  const rfPerBar = riskFreePerBar(riskFreeRate, P);
  const curve = summarise(curveSums(equity, drawdown ?? null, initialCapital, rfPerBar), n, rfPerBar);
  const sqrtP = P === null ? NaN : Math.sqrt(P);
  const hasReturns = curve.returnsDefined && n >= 2;
  const annualVolatility = hasReturns ? curve.stdev * sqrtP : null;
  const sharpe = hasReturns && curve.stdev > 0 ? (curve.excessMean / curve.stdev) * sqrtP : null;
  const sortino =
    curve.returnsDefined && curve.downsideDeviation > 0 ? (curve.excessMean / curve.downsideDeviation) * sqrtP : null;
  const { maxDrawdown, maxDrawdownDuration } = curve;
  const calmar = cagr !== null && maxDrawdown < 0 ? cagr / -maxDrawdown : null;

  const { tradeCount, wins, grossProfit, grossLoss, pnlSum, returnSum, best, worst, barsHeldSum, totalFees } = isTradeArray(trades)
    ? tradeSums(trades)
    : tradeColumnSums(trades);
  const hasTrades = tradeCount > 0;

  return {
    totalReturn: finite(totalReturn) ?? 0,
    cagr: finite(cagr),
    annualVolatility: finite(annualVolatility),
    sharpe: finite(sharpe),
    sortino: finite(sortino),
    calmar: finite(calmar),
    maxDrawdown: finite(maxDrawdown) ?? 0,
    maxDrawdownDuration,
    buyAndHoldReturn: finite(input.lastClose / input.firstClose - 1) ?? 0,
    winRate: hasTrades ? wins / tradeCount : null,
    profitFactor: grossLoss > 0 ? finite(grossProfit / grossLoss) : null,
    expectancy: hasTrades ? finite(pnlSum / tradeCount) : null,
    averageTradeReturn: hasTrades ? finite(returnSum / tradeCount) : null,
    bestTradeReturn: hasTrades ? finite(best) : null,
    worstTradeReturn: hasTrades ? finite(worst) : null,
    exposure: n > 0 ? barsHeldSum / n : 0,
    totalFees,
    finalEquity,
    tradeCount,
    averageBarsHeld: hasTrades ? Math.round(barsHeldSum / tradeCount) : null,
  };
}

/**
 * Sums over the bar returns r[t] = E[t]/E[t−1] − 1 (E[−1] = initial capital) and the
 * drawdown curve. `sum` and `sumSq` are of r − shift, with shift = r[0]: shifted sums keep
 * the one-pass variance as accurate as a two-pass one when the mean is far from zero.
 */
export interface CurveSums {
  /** min over t of E[t−1]; a bar return has no meaning unless it is > 0. */
  readonly minPrevEquity: number;
  readonly shift: number;
  readonly sum: number;
  readonly sumSq: number;
  /** Σ min(r − rf, 0)². */
  readonly downSq: number;
  readonly maxDrawdown: number;
  /** Longest run of consecutive bars with drawdown < 0. */
  readonly maxDrawdownDuration: number;
}

/**
 * One pass over the curve: it can be millions of bars. With `drawdown` null the drawdown
 * is derived on the fly exactly as `computeDrawdown` does (peak starting at the initial
 * capital), so the caller need not materialise it.
 */
export function curveSums(
  equity: Float64Array,
  drawdown: Float64Array | null,
  initialCapital: number,
  rfPerBar: number,
): CurveSums {
  return drawdown === null
    ? curveSumsTrackingPeak(equity, initialCapital, rfPerBar)
    : curveSumsWithDrawdown(equity, drawdown, initialCapital, rfPerBar);
}

function curveSumsWithDrawdown(equity: Float64Array, drawdown: Float64Array, initialCapital: number, rfPerBar: number): CurveSums {
  const n = equity.length;
  let prev = initialCapital;
  let minPrevEquity = initialCapital;
  let shift = 0;
  let sum = 0;
  let sumSq = 0;
  let downSq = 0;
  let maxDrawdown = 0;
  let maxDrawdownDuration = 0;
  let underwater = 0;
  for (let t = 0; t < n; t++) {
    const e = equity[t];
    const r = e / prev - 1;
    if (prev < minPrevEquity) minPrevEquity = prev;
    prev = e;
    if (t === 0) shift = r;
    const d = r - shift;
    sum += d;
    sumSq += d * d;
    // min(x, 0) as (x − |x|) / 2: exact, and branch-free. The sign of a return is a coin
    // flip, and a mispredicted branch here (or Math.min, which V8 compiles with NaN
    // checks) made this loop 7× slower on a million bars.
    const excess = r - rfPerBar;
    const down = (excess - Math.abs(excess)) * 0.5;
    downSq += down * down;
    // Rarely-changing conditions below are predictable, so plain branches are cheapest.
    const dd = drawdown[t];
    if (dd < maxDrawdown) maxDrawdown = dd;
    if (dd < 0) {
      underwater++;
      if (underwater > maxDrawdownDuration) maxDrawdownDuration = underwater;
    } else {
      underwater = 0;
    }
  }
  return { minPrevEquity, shift, sum, sumSq, downSq, maxDrawdown, maxDrawdownDuration };
}

/**
 * `curveSumsWithDrawdown` with dd[t] = equity[t] / peak − 1 computed inline, exactly as
 * `computeDrawdown` computes it (peak starting at the initial capital), so the result is
 * identical to passing `computeDrawdown(equity, initialCapital)` without the array.
 * (Tracking the lowest equity per peak instead saves the division but adds a coin-flip
 * branch while falling, and measured slower.)
 */
function curveSumsTrackingPeak(equity: Float64Array, initialCapital: number, rfPerBar: number): CurveSums {
  const n = equity.length;
  let prev = initialCapital;
  let peak = initialCapital;
  let minPrevEquity = initialCapital;
  let shift = 0;
  let sum = 0;
  let sumSq = 0;
  let downSq = 0;
  let maxDrawdown = 0;
  let maxDrawdownDuration = 0;
  let underwater = 0;
  for (let t = 0; t < n; t++) {
    const e = equity[t];
    const r = e / prev - 1;
    if (prev < minPrevEquity) minPrevEquity = prev;
    prev = e;
    if (t === 0) shift = r;
    const d = r - shift;
    sum += d;
    sumSq += d * d;
    const excess = r - rfPerBar; // branch-free min(excess, 0): see curveSumsWithDrawdown
    const down = (excess - Math.abs(excess)) * 0.5;
    downSq += down * down;
    if (e > peak) peak = e;
    const dd = e / peak - 1;
    if (dd < maxDrawdown) maxDrawdown = dd;
    if (dd < 0) {
      underwater++;
      if (underwater > maxDrawdownDuration) maxDrawdownDuration = underwater;
    } else {
      underwater = 0;
    }
  }
  return { minPrevEquity, shift, sum, sumSq, downSq, maxDrawdown, maxDrawdownDuration };
}

interface TradeSums {
  readonly tradeCount: number;
  readonly wins: number;
  readonly grossProfit: number;
  readonly grossLoss: number;
  readonly pnlSum: number;
  readonly returnSum: number;
  readonly best: number;
  readonly worst: number;
  readonly barsHeldSum: number;
  readonly totalFees: number;
}

function isTradeArray(trades: readonly Trade[] | TradeColumns): trades is readonly Trade[] {
  return Array.isArray(trades);
}

function tradeSums(trades: readonly Trade[]): TradeSums {
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let pnlSum = 0;
  let returnSum = 0;
  let best = -Infinity;
  let worst = Infinity;
  let barsHeldSum = 0;
  let totalFees = 0;
  for (const trade of trades) {
    if (trade.pnl > 0) {
      wins++;
      grossProfit += trade.pnl;
    } else {
      grossLoss -= trade.pnl;
    }
    pnlSum += trade.pnl;
    returnSum += trade.returnPct;
    if (trade.returnPct > best) best = trade.returnPct;
    if (trade.returnPct < worst) worst = trade.returnPct;
    barsHeldSum += trade.barsHeld;
    totalFees += trade.fees;
  }
  return { tradeCount: trades.length, wins, grossProfit, grossLoss, pnlSum, returnSum, best, worst, barsHeldSum, totalFees };
}

/** `tradeSums` over columns: same sums in the same order, so the same doubles. */
function tradeColumnSums(columns: TradeColumns): TradeSums {
  const { count, pnl: pnls, returnPct, barsHeld, fees } = columns;
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let pnlSum = 0;
  let returnSum = 0;
  let best = -Infinity;
  let worst = Infinity;
  let barsHeldSum = 0;
  let totalFees = 0;
  for (let i = 0; i < count; i++) {
    const pnl = pnls[i];
    const ret = returnPct[i];
    if (pnl > 0) {
      wins++;
      grossProfit += pnl;
    } else {
      grossLoss -= pnl;
    }
    pnlSum += pnl;
    returnSum += ret;
    if (ret > best) best = ret;
    if (ret < worst) worst = ret;
    barsHeldSum += barsHeld[i];
    totalFees += fees[i];
  }
  return { tradeCount: count, wins, grossProfit, grossLoss, pnlSum, returnSum, best, worst, barsHeldSum, totalFees };
}

function summarise(sums: CurveSums, n: number, rfPerBar: number) {
  const mean = n > 0 ? sums.shift + sums.sum / n : 0;
  const variance = n >= 2 ? Math.max(0, (sums.sumSq - (sums.sum * sums.sum) / n) / (n - 1)) : 0;
  return {
    returnsDefined: n > 0 && sums.minPrevEquity > 0,
    excessMean: mean - rfPerBar,
    stdev: Math.sqrt(variance),
    downsideDeviation: n > 0 ? Math.sqrt(sums.downSq / n) : 0,
    maxDrawdown: sums.maxDrawdown,
    maxDrawdownDuration: sums.maxDrawdownDuration,
  };
}

function finite(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}
