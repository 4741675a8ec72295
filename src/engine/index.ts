/**
 * Public API of the backtest engine: pure TypeScript over typed arrays, no I/O.
 * Everything the API layer needs (running, validating, describing strategies and metrics,
 * downsampling curves) is exported from here; deeper modules are internal.
 */
export { runBacktest, ABORT_CHECK_INTERVAL_BARS } from './run-backtest.js';
export type { StrategyRequest } from './run-backtest.js';
export { BacktestInputError, BacktestCancelledError } from './errors.js';
export { WorkBuffers } from './work-buffers.js';
export {
  strategySpecs,
  STRATEGY_KINDS,
  MAX_PERIOD,
  isStrategyKind,
  findStrategySpec,
  validateStrategyParams,
} from './strategy-specs.js';
export type { ParameterSpec, ParameterType, StrategySpec, StrategyParamsValidation } from './strategy-specs.js';
export { validateRunConfig, DEFAULT_RUN_CONFIG } from './run-config.js';
export type { RunConfigValidation } from './run-config.js';
export { validateCandles } from './candle-validation.js';
export { metricCatalog } from './metric-catalog.js';
export type { MetricInfo, MetricUnit } from './metric-catalog.js';
export {
  computeMetrics,
  computeDrawdown,
  observedPeriodsPerYear,
  DAYS_PER_YEAR,
  MS_PER_YEAR,
} from './metrics.js';
export type { MetricsInput } from './metrics.js';
export { downsampleEquity } from './equity-downsample.js';
export { tradesFromColumns, TRADE_SIDE_LONG, TRADE_SIDE_SHORT } from './trade-log.js';
export { sma } from './indicators/sma.js';
export { ema } from './indicators/ema.js';
export { rsi } from './indicators/rsi.js';
export { bollinger } from './indicators/bollinger.js';
export type { BollingerBands } from './indicators/bollinger.js';
export { macd } from './indicators/macd.js';
export type { Macd } from './indicators/macd.js';
export { donchian } from './indicators/donchian.js';
export type { DonchianChannel } from './indicators/donchian.js';
export type {
  BacktestAssumptions,
  BacktestHooks,
  BacktestMetrics,
  BacktestResult,
  Candles,
  EquityCurve,
  ExitReason,
  FillTiming,
  MetricName,
  RunConfig,
  RunConfigInput,
  StrategyInput,
  StrategyKind,
  Trade,
  TradeColumns,
  TradeSide,
  ValidationIssue,
} from './types.js';
