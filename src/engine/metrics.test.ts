/**
 * Metric definitions (DESIGN.md §4) on tiny hand-computed equity curves. Every expected
 * value is written out from the formula, not recomputed with the code under test.
 */
import { describe, expect, it } from '@jest/globals';
import { computeDrawdown, computeMetrics, MS_PER_YEAR, observedPeriodsPerYear } from './metrics.js';
import type { MetricsInput } from './metrics.js';
import type { Trade } from './types.js';

function curve(equity: number[], overrides: Partial<MetricsInput> = {}): MetricsInput {
  const e = Float64Array.from(equity);
  const n = e.length;
  return {
    // Evenly spaced over exactly 2 calendar years.
    time: Float64Array.from({ length: n }, (_, t) => (t * 2 * MS_PER_YEAR) / (n - 1)),
    equity: e,
    drawdown: computeDrawdown(e, 100),
    initialCapital: 100,
    firstClose: 50,
    lastClose: 60,
    trades: [],
    periodsPerYear: 1,
    riskFreeRate: 0,
    ...overrides,
  };
}

function trade(pnl: number, notional: number, barsHeld: number, fees = 0): Trade {
  return {
    side: 'LONG',
    entryBar: 0,
    entryTime: 0,
    entryPrice: notional,
    exitBar: barsHeld,
    exitTime: 0,
    exitPrice: 0,
    quantity: 1,
    pnl,
    returnPct: pnl / notional,
    fees,
    barsHeld,
    exitReason: 'SIGNAL',
  };
}

describe('return metrics on equity 100 → [110, 99, 121] over 2 years, P = 1', () => {
  // Bar returns (equity[−1] = initial capital 100): 0.1, −0.1, 121/99 − 1 = 2/9.
  const r = [0.1, -0.1, 2 / 9];
  const mean = (0.1 - 0.1 + 2 / 9) / 3;
  const stdev = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / 2);
  const m = computeMetrics(curve([110, 99, 121]));

  it('totalReturn = final / initial − 1', () => expect(m.totalReturn).toBeCloseTo(0.21, 14));
  it('cagr = (final / initial)^(1 / years) − 1 over 365.25-day years', () => expect(m.cagr).toBeCloseTo(0.1, 14));
  it('annualVolatility = stdev(r, n−1) × √P', () => expect(m.annualVolatility).toBeCloseTo(stdev, 14));
  it('sharpe = mean(r) / stdev(r) × √P', () => expect(m.sharpe).toBeCloseTo(mean / stdev, 12));
  it('sortino = mean(r) / √mean(min(r, 0)²) × √P', () => expect(m.sortino).toBeCloseTo(mean / Math.sqrt(0.01 / 3), 12));
  it('maxDrawdown = min(equity / running peak − 1)', () => expect(m.maxDrawdown).toBeCloseTo(99 / 110 - 1, 14));
  it('calmar = cagr / |maxDrawdown|', () => expect(m.calmar).toBeCloseTo(0.1 / (1 - 99 / 110), 12));
  it('finalEquity and buyAndHoldReturn (last close / first close − 1)', () => {
    expect(m.finalEquity).toBe(121);
    expect(m.buyAndHoldReturn).toBeCloseTo(0.2, 14);
  });
  it('annualises with √P', () => {
    const m12 = computeMetrics(curve([110, 99, 121], { periodsPerYear: 12 }));
    expect(m12.annualVolatility).toBeCloseTo(stdev * Math.sqrt(12), 12);
    expect(m12.sharpe).toBeCloseTo((mean / stdev) * Math.sqrt(12), 12);
  });
  it('subtracts the per-bar risk-free rate (1 + rf)^(1/P) − 1 in Sharpe and Sortino', () => {
    const rf = 0.05; // P = 1: per bar 0.05
    const withRf = computeMetrics(curve([110, 99, 121], { riskFreeRate: rf }));
    expect(withRf.sharpe).toBeCloseTo((mean - rf) / stdev, 12);
    const downside = Math.sqrt((-0.1 - rf) ** 2 / 3); // only the −0.1 return is below 0.05
    expect(withRf.sortino).toBeCloseTo((mean - rf) / downside, 12);
  });
});

describe('drawdown', () => {
  it('starts the running peak at the initial capital', () => {
    const drawdown = computeDrawdown(Float64Array.from([90, 100, 120, 60]), 100);
    [-0.1, 0, 0, -0.5].forEach((expected, t) => expect(drawdown[t]).toBeCloseTo(expected, 15));
  });

  it('maxDrawdownDuration is the longest run of bars under the running peak', () => {
    // Under water at bars 1, 2 (recovers to the peak exactly at bar 3), then 4, 5, 6 unrecovered.
    const m = computeMetrics(curve([100, 90, 95, 100, 80, 85, 99]));
    expect(m.maxDrawdownDuration).toBe(3);
    expect(m.maxDrawdown).toBeCloseTo(-0.2, 14);
  });

  it('is 0 with a null Calmar when equity never falls', () => {
    const m = computeMetrics(curve([100, 101, 102]));
    expect(m.maxDrawdown).toBe(0);
    expect(m.maxDrawdownDuration).toBe(0);
    expect(m.calmar).toBeNull();
  });
});

describe('trade metrics', () => {
  const trades = [trade(30, 300, 2, 1), trade(-10, 200, 1, 1), trade(20, 100, 3, 1), trade(-20, 400, 2, 1)];
  const m = computeMetrics(curve([100, 100, 100, 100, 100, 100, 100, 100, 100, 100], { trades }));

  it('winRate = winners / trades (net pnl > 0)', () => expect(m.winRate).toBe(0.5));
  it('profitFactor = gross profit / gross loss', () => expect(m.profitFactor).toBeCloseTo(50 / 30, 14));
  it('expectancy = mean net pnl per trade (currency)', () => expect(m.expectancy).toBe(5));
  it('averageTradeReturn = mean(pnl / entry notional)', () =>
    expect(m.averageTradeReturn).toBeCloseTo((0.1 - 0.05 + 0.2 - 0.05) / 4, 14));
  it('best and worst trade returns', () => {
    expect(m.bestTradeReturn).toBeCloseTo(0.2, 14);
    expect(m.worstTradeReturn).toBeCloseTo(-0.05, 14);
  });
  it('exposure = bars held / bars', () => expect(m.exposure).toBeCloseTo(8 / 10, 14));
  it('tradeCount, averageBarsHeld (rounded) and totalFees', () => {
    expect(m.tradeCount).toBe(4);
    expect(m.averageBarsHeld).toBe(2);
    expect(m.totalFees).toBe(4);
  });
  it('profitFactor is null without a losing trade', () => {
    expect(computeMetrics(curve([100, 110], { trades: [trade(10, 100, 1)] })).profitFactor).toBeNull();
  });
});

describe('undefined values', () => {
  it('annualised metrics are null when periods per year is unknown', () => {
    const m = computeMetrics(curve([110, 99, 121], { periodsPerYear: null }));
    expect(m).toMatchObject({ annualVolatility: null, sharpe: null, sortino: null });
    expect(m.totalReturn).toBeCloseTo(0.21, 14);
  });

  it('return metrics are null once equity has not been positive (a bar return needs equity[t−1] > 0)', () => {
    const m = computeMetrics(curve([50, -10, 5]));
    expect(m).toMatchObject({ annualVolatility: null, sharpe: null, sortino: null });
    expect(m.maxDrawdown).toBeCloseTo(-1.1, 14);
    expect(m.cagr).toBeCloseTo(Math.sqrt(0.05) - 1, 14);
  });

  it('CAGR is null when final equity is below zero', () => {
    expect(computeMetrics(curve([50, 20, -10])).cagr).toBeNull();
  });
});

describe('observedPeriodsPerYear', () => {
  it('is (bars − 1) / span in 365.25-day years', () => {
    const day = 86_400_000;
    const daily = Float64Array.from({ length: 366 }, (_, t) => t * day);
    expect(observedPeriodsPerYear(daily)).toBeCloseTo(365.25, 10);
    const hourly = Float64Array.from({ length: 1001 }, (_, t) => t * 3_600_000);
    expect(observedPeriodsPerYear(hourly)).toBeCloseTo(365.25 * 24, 8);
  });

  it('is null with fewer than two bars', () => {
    expect(observedPeriodsPerYear(Float64Array.from([5]))).toBeNull();
  });
});
