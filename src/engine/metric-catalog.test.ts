import { describe, expect, it } from '@jest/globals';
import { metricCatalog } from './metric-catalog.js';
import { runBacktest } from './run-backtest.js';
import { generateRandomWalkCandles } from './testing/synthetic-candles.js';

describe('metricCatalog', () => {
  const { metrics } = runBacktest(generateRandomWalkCandles(500, 1), { kind: 'SMA_CROSSOVER', params: { fast: 5, slow: 20 } });

  it('describes exactly the metrics a run returns, once each', () => {
    expect(metricCatalog.map((m) => m.name).sort()).toEqual(Object.keys(metrics).sort());
  });

  it('marks the GraphQL Int metrics as integers, and they are whole numbers', () => {
    const ints = metricCatalog.filter((m) => m.isInteger).map((m) => m.name);
    expect(ints.sort()).toEqual(['averageBarsHeld', 'maxDrawdownDuration', 'tradeCount']);
    for (const name of ints) expect(Number.isInteger(metrics[name])).toBe(true);
  });

  it('gives every metric a unit, a formula and a description', () => {
    for (const m of metricCatalog) {
      expect(m.formula.length).toBeGreaterThan(3);
      expect(m.description.length).toBeGreaterThan(10);
      expect(['FRACTION', 'RATIO', 'CURRENCY', 'BARS', 'COUNT']).toContain(m.unit);
    }
  });
});
