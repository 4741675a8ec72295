import type { MetricName } from './types.js';

/** FRACTION: 0.05 = 5%. RATIO: dimensionless. CURRENCY: quote currency of the instrument. */
export type MetricUnit = 'FRACTION' | 'RATIO' | 'CURRENCY' | 'BARS' | 'COUNT';

export interface MetricInfo {
  readonly name: MetricName;
  readonly label: string;
  readonly unit: MetricUnit;
  /** true: higher is better; false: lower is better; null: neither (context-dependent). */
  readonly higherIsBetter: boolean | null;
  /** Whether the value is a whole number (GraphQL Int). */
  readonly isInteger: boolean;
  readonly formula: string;
  readonly description: string;
  /** When the metric is null. */
  readonly nullWhen: string | null;
}

/**
 * Every metric `runBacktest` reports, with its exact definition, for the `metricCatalog`
 * query. Notation: E[t] equity at bar t's close (t = 0..n−1), E[−1] = initial capital,
 * r[t] = E[t]/E[t−1] − 1, P = periods (bars) per year, rf = per-bar risk-free rate
 * (1 + annual rate)^(1/P) − 1, years = (last bar time − first bar time) / 365.25 days.
 */
export const metricCatalog: readonly MetricInfo[] = [
  {
    name: 'totalReturn',
    label: 'Total return',
    unit: 'FRACTION',
    higherIsBetter: true,
    isInteger: false,
    formula: 'E[n−1] / initialCapital − 1',
    description: 'Net return of the strategy over the whole range, after all costs.',
    nullWhen: null,
  },
  {
    name: 'cagr',
    label: 'CAGR',
    unit: 'FRACTION',
    higherIsBetter: true,
    isInteger: false,
    formula: '(E[n−1] / initialCapital)^(1 / years) − 1, years = span / 365.25 days',
    description: 'Compound annual growth rate over calendar time.',
    nullWhen: 'fewer than 2 bars, or final equity below 0',
  },
  {
    name: 'annualVolatility',
    label: 'Annual volatility',
    unit: 'FRACTION',
    higherIsBetter: false,
    isInteger: false,
    formula: 'stdev(r, n−1) × √P',
    description: 'Sample standard deviation of bar returns, annualised.',
    nullWhen: 'fewer than 2 bars, periods per year unknown, or equity not positive',
  },
  {
    name: 'sharpe',
    label: 'Sharpe ratio',
    unit: 'RATIO',
    higherIsBetter: true,
    isInteger: false,
    formula: '(mean(r) − rf) / stdev(r, n−1) × √P',
    description: 'Annualised mean excess bar return per unit of volatility.',
    nullWhen: 'returns have zero variance, fewer than 2 bars, or periods per year unknown',
  },
  {
    name: 'sortino',
    label: 'Sortino ratio',
    unit: 'RATIO',
    higherIsBetter: true,
    isInteger: false,
    formula: '(mean(r) − rf) / √mean(min(r − rf, 0)²) × √P',
    description: 'Annualised mean excess bar return per unit of downside deviation (mean over all bars).',
    nullWhen: 'no bar return below the risk-free rate, or periods per year unknown',
  },
  {
    name: 'calmar',
    label: 'Calmar ratio',
    unit: 'RATIO',
    higherIsBetter: true,
    isInteger: false,
    formula: 'cagr / |maxDrawdown|',
    description: 'Annual growth per unit of worst drawdown.',
    nullWhen: 'no drawdown, or cagr is null',
  },
  {
    name: 'maxDrawdown',
    label: 'Max drawdown',
    unit: 'FRACTION',
    higherIsBetter: true,
    isInteger: false,
    formula: 'min over t of E[t] / max(initialCapital, E[0..t]) − 1 (≤ 0)',
    description: 'Worst peak-to-trough loss of equity; 0 when equity never fell below its running peak.',
    nullWhen: null,
  },
  {
    name: 'maxDrawdownDuration',
    label: 'Max drawdown duration',
    unit: 'BARS',
    higherIsBetter: false,
    isInteger: true,
    formula: 'longest run of consecutive bars with E[t] < running peak',
    description: 'Longest time spent under water, in bars (an unrecovered drawdown counts to the last bar).',
    nullWhen: null,
  },
  {
    name: 'buyAndHoldReturn',
    label: 'Buy-and-hold return',
    unit: 'FRACTION',
    higherIsBetter: null,
    isInteger: false,
    formula: 'close[n−1] / close[0] − 1',
    description: 'Return of the instrument itself over the range, without costs: the benchmark.',
    nullWhen: null,
  },
  {
    name: 'winRate',
    label: 'Win rate',
    unit: 'FRACTION',
    higherIsBetter: true,
    isInteger: false,
    formula: 'count(trade pnl > 0) / tradeCount',
    description: 'Share of trades with a positive net profit (after fees).',
    nullWhen: 'no trades',
  },
  {
    name: 'profitFactor',
    label: 'Profit factor',
    unit: 'RATIO',
    higherIsBetter: true,
    isInteger: false,
    formula: 'sum(pnl of winning trades) / |sum(pnl of losing trades)|',
    description: 'Gross profit per unit of gross loss (net pnl per trade; zero-pnl trades count as losses of 0).',
    nullWhen: 'no losing trade (gross loss is 0)',
  },
  {
    name: 'expectancy',
    label: 'Expectancy',
    unit: 'CURRENCY',
    higherIsBetter: true,
    isInteger: false,
    formula: 'sum(trade pnl) / tradeCount',
    description: 'Average net profit per trade, in quote currency.',
    nullWhen: 'no trades',
  },
  {
    name: 'averageTradeReturn',
    label: 'Average trade return',
    unit: 'FRACTION',
    higherIsBetter: true,
    isInteger: false,
    formula: 'mean(trade pnl / (entry price × quantity))',
    description: 'Average net return per trade on its entry notional.',
    nullWhen: 'no trades',
  },
  {
    name: 'bestTradeReturn',
    label: 'Best trade return',
    unit: 'FRACTION',
    higherIsBetter: true,
    isInteger: false,
    formula: 'max(trade pnl / entry notional)',
    description: 'Net return of the best trade on its entry notional.',
    nullWhen: 'no trades',
  },
  {
    name: 'worstTradeReturn',
    label: 'Worst trade return',
    unit: 'FRACTION',
    higherIsBetter: true,
    isInteger: false,
    formula: 'min(trade pnl / entry notional)',
    description: 'Net return of the worst trade on its entry notional.',
    nullWhen: 'no trades',
  },
  {
    name: 'exposure',
    label: 'Exposure',
    unit: 'FRACTION',
    higherIsBetter: null,
    isInteger: false,
    formula: 'sum(trade barsHeld) / n',
    description:
      'Fraction of bars at whose close a position was open (the end-of-data close-out does not count its own bar).',
    nullWhen: null,
  },
  {
    name: 'totalFees',
    label: 'Total fees',
    unit: 'CURRENCY',
    higherIsBetter: false,
    isInteger: false,
    formula: 'sum over fills of commission × quantity × fill price',
    description: 'Commission paid on every entry and exit fill, in quote currency.',
    nullWhen: null,
  },
  {
    name: 'finalEquity',
    label: 'Final equity',
    unit: 'CURRENCY',
    higherIsBetter: true,
    isInteger: false,
    formula: 'E[n−1]',
    description: 'Equity at the last close, after closing any open position.',
    nullWhen: null,
  },
  {
    name: 'tradeCount',
    label: 'Trades',
    unit: 'COUNT',
    higherIsBetter: null,
    isInteger: true,
    formula: 'number of round trips (including the end-of-data close-out)',
    description: 'Number of completed trades.',
    nullWhen: null,
  },
  {
    name: 'averageBarsHeld',
    label: 'Average bars held',
    unit: 'BARS',
    higherIsBetter: null,
    isInteger: true,
    formula: 'round(mean(exit bar − entry bar))',
    description: 'Average holding time of a trade in bars, rounded to the nearest whole bar.',
    nullWhen: 'no trades',
  },
];
