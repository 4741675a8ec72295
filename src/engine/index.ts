/**
 * Public API of the backtest engine: pure TypeScript over typed arrays, no I/O.
 * Everything the rest of quantql needs (running, validating, describing strategies and
 * metrics, downsampling curves) is exported from here; deeper modules are internal (their
 * own tests import them directly). knip keeps this list to what is used.
 */
export { runBacktest, ABORT_CHECK_INTERVAL_BARS } from './run-backtest.js';
export type { StrategyRequest } from './run-backtest.js';
export { BacktestInputError, BacktestCancelledError } from './errors.js';
export { WorkBuffers } from './work-buffers.js';
export { candleColumnsRead, strategySpecs, STRATEGY_KINDS, validateStrategyParams } from './strategy-specs.js';
export type { ParameterSpec, StrategySpec } from './strategy-specs.js';
export { validateRunConfig } from './run-config.js';
export { metricCatalog } from './metric-catalog.js';
export type { MetricInfo, MetricUnit } from './metric-catalog.js';
export { downsampleEquity } from './equity-downsample.js';
export type {
  BacktestAssumptions,
  BacktestMetrics,
  Candles,
  FillTiming,
  RunConfig,
  RunConfigInput,
  StrategyKind,
  Trade,
  TradeColumns,
  ValidationIssue,
} from './types.js';
