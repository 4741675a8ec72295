import { describe, expect, it } from '@jest/globals';
import { ABORT_CHECK_INTERVAL_BARS, BacktestCancelledError, runBacktest, WorkBuffers } from './index.js';
import { generateRandomWalkCandles } from './testing/synthetic-candles.js';

const candles = generateRandomWalkCandles(10_000, 3);
const strategy = { kind: 'SMA_CROSSOVER', params: { fast: 5, slow: 20 } };

describe('onProgress', () => {
  it('is called after the first bar, at every multiple of progressEvery, and after the last bar', () => {
    const calls: [number, number, number][] = [];
    const result = runBacktest(candles, strategy, {}, {
      progressEvery: 1000,
      onProgress: (done, total, equity) => calls.push([done, total, equity]),
    });
    expect(calls.map((c) => c[0])).toEqual([1, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(calls.every((c) => c[1] === 10_000)).toBe(true);
    expect(calls[3][2]).toBe(result.equity.equity[2999]);
    expect(calls[calls.length - 1][2]).toBe(result.metrics.finalEquity);
  });

  it('defaults to about 100 calls per run', () => {
    let count = 0;
    runBacktest(candles, strategy, {}, { onProgress: () => count++ });
    expect(count).toBeGreaterThanOrEqual(100);
    expect(count).toBeLessThanOrEqual(102);
  });
});

describe('cancellation', () => {
  it('throws BacktestCancelledError before any work when already aborted', () => {
    const controller = new AbortController();
    controller.abort();
    expect(() => runBacktest(candles, strategy, {}, { signal: controller.signal })).toThrow(BacktestCancelledError);
  });

  it(`stops within ${ABORT_CHECK_INTERVAL_BARS} bars of the abort and reports how far it got`, () => {
    const controller = new AbortController();
    let error: unknown;
    let lastProgress = 0;
    try {
      runBacktest(candles, strategy, {}, {
        signal: controller.signal,
        progressEvery: 50_000, // progress rarely: the abort check must not depend on it
        onProgress: (done) => {
          lastProgress = done;
          if (done === 1) controller.abort();
        },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BacktestCancelledError);
    const cancelled = error as BacktestCancelledError;
    expect(cancelled.code).toBe('BACKTEST_CANCELLED');
    expect(cancelled.totalBars).toBe(10_000);
    expect(cancelled.barsProcessed).toBeGreaterThan(1);
    expect(cancelled.barsProcessed).toBeLessThanOrEqual(1 + ABORT_CHECK_INTERVAL_BARS);
    expect(lastProgress).toBe(1);
  });

  it('a completed run is unaffected by a signal that is never aborted', () => {
    const plain = runBacktest(candles, strategy);
    const withSignal = runBacktest(candles, strategy, {}, { signal: new AbortController().signal });
    expect(withSignal.metrics).toEqual(plain.metrics);
    expect(withSignal.barsProcessed).toBe(10_000);
  });
});

describe('determinism', () => {
  it('the same input gives the same result, run after run', () => {
    const buffers = new WorkBuffers();
    const a = runBacktest(candles, strategy, { commission: 0.001 }, {}, buffers);
    runBacktest(generateRandomWalkCandles(20_000, 9), { kind: 'MACD_CROSSOVER' }, {}, {}, buffers); // dirties the shared buffers
    const b = runBacktest(candles, strategy, { commission: 0.001 }, {}, buffers);
    expect(b.trades).toEqual(a.trades);
    expect(Array.from(b.equity.equity)).toEqual(Array.from(a.equity.equity));
  });

  it('reports the assumptions it ran with', () => {
    const { assumptions } = runBacktest(candles, { kind: 'RSI_REVERSION', params: { period: 10 } }, { slippage: 0.001 });
    expect(assumptions).toEqual({
      strategy: { kind: 'RSI_REVERSION', params: { period: 10, oversold: 30, overbought: 70 } },
      initialCapital: 10_000,
      commission: 0,
      slippage: 0.001,
      positionSize: 1,
      fillTiming: 'NEXT_OPEN',
      allowShort: false,
      lotSize: null,
      riskFreeRate: 0,
      periodsPerYear: 365.25 * 24, // hourly bars
      periodsPerYearSource: 'OBSERVED',
      daysPerYear: 365.25,
      entriesSkipped: 0,
    });
    const given = runBacktest(candles, strategy, { periodsPerYear: 252 }).assumptions;
    expect([given.periodsPerYear, given.periodsPerYearSource]).toEqual([252, 'CONFIG']);
  });
});
