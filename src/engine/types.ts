/**
 * Public types of the backtest engine. Plain data only: the engine never sees GraphQL,
 * Prisma or wall-clock time, so everything it needs arrives through these shapes.
 */

/**
 * Columnar OHLCV candles, one entry per bar, oldest first. All columns have the same
 * length. `time` is the bar's open time in epoch milliseconds (UTC), strictly increasing.
 */
export interface Candles {
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** The seven built-in strategy kinds (names are part of the GraphQL contract). */
export type StrategyKind =
  | 'BUY_AND_HOLD'
  | 'SMA_CROSSOVER'
  | 'EMA_CROSSOVER'
  | 'RSI_REVERSION'
  | 'BOLLINGER_REVERSION'
  | 'MACD_CROSSOVER'
  | 'DONCHIAN_BREAKOUT';

/** A strategy kind with its numeric parameters (missing ones take their defaults). */
export interface StrategyInput {
  readonly kind: StrategyKind;
  readonly params: Readonly<Record<string, number>>;
}

/** When a signal computed at the close of bar t is executed. */
export type FillTiming = 'NEXT_OPEN' | 'CLOSE';

/** Run configuration; every field is validated by `validateRunConfig`. */
export interface RunConfig {
  /** Starting cash, in quote currency; > 0. */
  readonly initialCapital: number;
  /** Fee as a fraction of fill notional, charged on every fill; 0 ≤ commission < 1. */
  readonly commission: number;
  /** Fraction moving every fill price against the trade; 0 ≤ slippage < 1. */
  readonly slippage: number;
  /** Fraction of current equity committed on entry; 0 < positionSize ≤ 1. */
  readonly positionSize: number;
  /** NEXT_OPEN: fill at the open of bar t+1; CLOSE: fill at the close of bar t. */
  readonly fillTiming: FillTiming;
  /** Whether short-capable strategies may enter short on their opposite signal. */
  readonly allowShort: boolean;
  /** Quantities are rounded down to whole multiples of this (> 0); fractional when absent. */
  readonly lotSize?: number | null;
  /** Bars per year for annualisation (> 0); observed from the data when absent. */
  readonly periodsPerYear?: number | null;
  /** Annual risk-free rate as a fraction (e.g. 0.02); > -1. */
  readonly riskFreeRate: number;
}

/** Run configuration as a caller may send it: everything optional, defaults filled by validation. */
export type RunConfigInput = Partial<Record<keyof RunConfig, unknown>>;

/** A validation problem: `path` is relative to the validated object (e.g. `['fast']`). */
export type { ValidationIssue } from '../lib/errors.js';

export type TradeSide = 'LONG' | 'SHORT';

/** Why a trade was closed: by a strategy signal, or by the end of the data. */
export type ExitReason = 'SIGNAL' | 'END_OF_DATA';

/** One round trip. Prices are fill prices after slippage; money in quote currency. */
export interface Trade {
  readonly side: TradeSide;
  /** Bar index (0-based) of the entry fill. */
  readonly entryBar: number;
  /** Epoch ms of the entry fill's bar (`candles.time[entryBar]`). */
  readonly entryTime: number;
  readonly entryPrice: number;
  readonly exitBar: number;
  readonly exitTime: number;
  readonly exitPrice: number;
  /** Units held (> 0 for both sides). */
  readonly quantity: number;
  /** Net profit: price difference × quantity (sign by side) minus both fees. */
  readonly pnl: number;
  /** pnl / (entryPrice × quantity): net return on the entry notional, a fraction. */
  readonly returnPct: number;
  /** Entry fee + exit fee. */
  readonly fees: number;
  /** exitBar − entryBar (≥ 0). */
  readonly barsHeld: number;
  readonly exitReason: ExitReason;
}

/**
 * The trades of a run as parallel typed arrays (columnar: no object per trade), index i
 * being the i-th closed trade. `result.trades` builds `Trade` objects from these on first
 * access; hot paths (metrics, persistence in bulk) should read the columns instead.
 * Every array has exactly `count` entries and belongs to the result.
 */
export interface TradeColumns {
  readonly count: number;
  /** +1 LONG (`TRADE_SIDE_LONG`), −1 SHORT. */
  readonly side: Int8Array;
  readonly entryBar: Int32Array;
  readonly entryTime: Float64Array;
  readonly entryPrice: Float64Array;
  readonly exitBar: Int32Array;
  readonly exitTime: Float64Array;
  readonly exitPrice: Float64Array;
  readonly quantity: Float64Array;
  readonly pnl: Float64Array;
  readonly returnPct: Float64Array;
  readonly fees: Float64Array;
  readonly barsHeld: Int32Array;
  /** 1 when the trade was closed by the end of the data (END_OF_DATA), 0 by a signal (SIGNAL). */
  readonly endOfData: Uint8Array;
}

/** Equity marked at each bar's close; all three arrays have one entry per bar. */
export interface EquityCurve {
  /** Bar times, epoch ms. In a `runBacktest` result this IS `candles.time` (shared, not copied). */
  readonly time: Float64Array;
  readonly equity: Float64Array;
  /**
   * equity / running peak − 1 (≤ 0); the running peak starts at the initial capital.
   * In a `runBacktest` result it is computed from `equity` on first access and cached
   * (the metrics — max drawdown and its duration — do not need the array).
   */
  readonly drawdown: Float64Array;
}

/** Every metric of DESIGN.md §4. Fractions, not percent. `null` where undefined. */
export interface BacktestMetrics {
  readonly totalReturn: number;
  readonly cagr: number | null;
  readonly annualVolatility: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  readonly maxDrawdown: number;
  readonly maxDrawdownDuration: number;
  readonly buyAndHoldReturn: number;
  readonly winRate: number | null;
  readonly profitFactor: number | null;
  readonly expectancy: number | null;
  readonly averageTradeReturn: number | null;
  readonly bestTradeReturn: number | null;
  readonly worstTradeReturn: number | null;
  readonly exposure: number;
  readonly totalFees: number;
  readonly finalEquity: number;
  readonly tradeCount: number;
  readonly averageBarsHeld: number | null;
}

export type MetricName = keyof BacktestMetrics;

/** The conditions a run used, reported with every result. */
export interface BacktestAssumptions {
  readonly strategy: StrategyInput;
  readonly initialCapital: number;
  readonly commission: number;
  readonly slippage: number;
  readonly positionSize: number;
  readonly fillTiming: FillTiming;
  readonly allowShort: boolean;
  readonly lotSize: number | null;
  readonly riskFreeRate: number;
  /** The value used for annualisation; null when it could not be determined (fewer than 2 bars or zero span). */
  readonly periodsPerYear: number | null;
  readonly periodsPerYearSource: 'CONFIG' | 'OBSERVED';
  /** Length of a calendar year used for CAGR and observed periods per year. */
  readonly daysPerYear: number;
  /**
   * Entry signals not taken because not even one lot (or no quantity at all) was affordable
   * with the cash the position size allows: > 0 means the sizing is too coarse for the
   * capital (a lotSize of 1e9 gives a run without trades, and says so here).
   */
  readonly entriesSkipped: number;
}

export interface BacktestResult {
  /**
   * The trades as objects, built from `tradeColumns` on first access and cached (building
   * ~20k objects costs a few ms, so code that only needs numbers should read the columns).
   */
  readonly trades: Trade[];
  /** The same trades, columnar. */
  readonly tradeColumns: TradeColumns;
  readonly equity: EquityCurve;
  readonly metrics: BacktestMetrics;
  readonly assumptions: BacktestAssumptions;
  /** Bars simulated; equals the number of candles for a completed run. */
  readonly barsProcessed: number;
  readonly totalBars: number;
}

/** Optional callbacks; the engine never measures time itself. */
export interface BacktestHooks {
  /**
   * Called after bar 1, then whenever a multiple of `progressEvery` bars has been
   * processed (at the end of the 4,096-bar chunk that reaches it when progressEvery is
   * larger), and after the last bar — so at most ⌈totalBars / progressEvery⌉ + 2 calls.
   * `barsProcessed` counts bars simulated so far (1..totalBars); `equity` is the equity
   * marked at the close of the last processed bar.
   */
  readonly onProgress?: (barsProcessed: number, totalBars: number, equity: number) => void;
  /** Bars between progress calls; default max(1, ceil(totalBars / 100)). */
  readonly progressEvery?: number;
  /** Checked before the run and every 4,096 bars; when aborted the run throws `BacktestCancelledError`. */
  readonly signal?: AbortSignal;
}
