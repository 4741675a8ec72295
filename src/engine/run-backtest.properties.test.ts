/**
 * Property tests over random price series (fast-check, seeded per run by fast-check and
 * reproducible from the reported seed on failure).
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { candleColumnsRead, runBacktest, STRATEGY_KINDS } from './index.js';
import type { Candles, FillTiming, StrategyKind } from './index.js';
import { generateRandomWalkCandles } from './testing/synthetic-candles.js';

/** Short look-backs so random series of ~100 bars produce plenty of trades for every kind. */
const SMALL_PARAMS: Record<StrategyKind, Record<string, number>> = {
  BUY_AND_HOLD: {},
  SMA_CROSSOVER: { fast: 2, slow: 5 },
  EMA_CROSSOVER: { fast: 3, slow: 8 },
  RSI_REVERSION: { period: 4, oversold: 40, overbought: 60 },
  BOLLINGER_REVERSION: { period: 5, k: 1 },
  MACD_CROSSOVER: { fast: 3, slow: 6, signal: 3 },
  DONCHIAN_BREAKOUT: { entry: 4, exit: 2 },
};

const seriesArb = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  bars: fc.integer({ min: 30, max: 160 }),
  volatility: fc.double({ min: 0.002, max: 0.08, noNaN: true }),
});

const candlesOf = ({ seed, bars, volatility }: { seed: number; bars: number; volatility: number }): Candles =>
  generateRandomWalkCandles(bars, seed, { volatility, barMs: 86_400_000 });

/** A copy of `candles` whose bars after `cut` are replaced by another random walk. */
function alterAfter(candles: Candles, cut: number, seed: number): Candles {
  const other = generateRandomWalkCandles(candles.close.length, seed ^ 0x5bd1e995, { startPrice: 50, volatility: 0.05 });
  const copy = (column: keyof Candles) => {
    const out = candles[column].slice();
    if (column !== 'time') out.set(other[column].subarray(cut + 1), cut + 1);
    return out;
  };
  return {
    time: copy('time'),
    open: copy('open'),
    high: copy('high'),
    low: copy('low'),
    close: copy('close'),
    volume: copy('volume'),
  };
}

const configArb = fc.record({
  fillTiming: fc.constantFrom<FillTiming>('NEXT_OPEN', 'CLOSE'),
  allowShort: fc.boolean(),
  commission: fc.double({ min: 0, max: 0.01, noNaN: true }),
  slippage: fc.double({ min: 0, max: 0.01, noNaN: true }),
  positionSize: fc.double({ min: 0.1, max: 1, noNaN: true }),
});

describe.each(STRATEGY_KINDS.map((kind) => [kind]))('%s', (kind) => {
  const strategy = { kind, params: SMALL_PARAMS[kind] };

  it('never looks ahead: altering bars after t changes nothing decided at or before t', () => {
    fc.assert(
      fc.property(seriesArb, configArb, fc.double({ min: 0, max: 1, noNaN: true }), (series, config, where) => {
        const candles = candlesOf(series);
        const n = candles.close.length;
        const cut = Math.min(n - 2, Math.floor(where * (n - 1)));
        const a = runBacktest(candles, strategy, config);
        const b = runBacktest(alterAfter(candles, cut, series.seed), strategy, config);
        expect(Array.from(b.equity.equity.subarray(0, cut + 1))).toEqual(Array.from(a.equity.equity.subarray(0, cut + 1)));
        expect(Array.from(b.equity.drawdown.subarray(0, cut + 1))).toEqual(Array.from(a.equity.drawdown.subarray(0, cut + 1)));
        // Trades closed at or before t are identical; entries at or before t are identical.
        const closed = (r: typeof a) => r.trades.filter((t) => t.exitBar <= cut && t.exitReason === 'SIGNAL');
        expect(closed(b)).toEqual(closed(a));
        const entries = (r: typeof a) =>
          r.trades.filter((t) => t.entryBar <= cut).map((t) => [t.side, t.entryBar, t.entryPrice, t.quantity]);
        expect(entries(b)).toEqual(entries(a));
      }),
      { numRuns: 60 },
    );
  });

  it('never opens a short when shorting is off, and never lets equity go negative', () => {
    fc.assert(
      fc.property(seriesArb, configArb, fc.option(fc.constantFrom(0.01, 0.5, 1, 3)), (series, config, lotSize) => {
        const result = runBacktest(candlesOf(series), strategy, { ...config, allowShort: false, lotSize });
        expect(result.trades.filter((t) => t.side === 'SHORT')).toEqual([]);
        expect(Math.min(...result.equity.equity)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 60 },
    );
  });

  it('higher commission never raises final equity (long-only)', () => {
    fc.assert(
      fc.property(seriesArb, configArb, fc.double({ min: 0, max: 0.02, noNaN: true }), (series, config, extra) => {
        const candles = candlesOf(series);
        const cheap = runBacktest(candles, strategy, { ...config, allowShort: false });
        const dear = runBacktest(candles, strategy, { ...config, allowShort: false, commission: config.commission + extra });
        expect(dear.metrics.finalEquity).toBeLessThanOrEqual(cheap.metrics.finalEquity * (1 + 1e-12));
      }),
      { numRuns: 60 },
    );
  });

  it('reads only the columns candleColumnsRead names: the others NaN-filled give the same run', () => {
    const read = new Set(candleColumnsRead(kind));
    fc.assert(
      fc.property(seriesArb, configArb, (series, config) => {
        const candles = candlesOf(series);
        const pruned = { ...candles };
        for (const column of ['open', 'high', 'low', 'close', 'volume'] as const) {
          if (!read.has(column)) pruned[column] = new Float64Array(candles.time.length).fill(Number.NaN);
        }
        const full = runBacktest(candles, strategy, config);
        const partial = runBacktest(pruned, strategy, config);
        expect(partial.metrics).toEqual(full.metrics);
        expect(partial.trades).toEqual(full.trades);
        expect(partial.equity.equity).toEqual(full.equity.equity);
      }),
      { numRuns: 40 },
    );
  });

  it('returns only finite metrics or null', () => {
    fc.assert(
      fc.property(seriesArb, configArb, (series, config) => {
        const { metrics } = runBacktest(candlesOf(series), strategy, config);
        for (const value of Object.values(metrics)) expect(value === null || Number.isFinite(value)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

describe('BUY_AND_HOLD', () => {
  it('with zero costs ends at capital × last close / first fill price', () => {
    fc.assert(
      fc.property(seriesArb, fc.constantFrom<FillTiming>('NEXT_OPEN', 'CLOSE'), (series, fillTiming) => {
        const candles = candlesOf(series);
        const n = candles.close.length;
        const { metrics, trades } = runBacktest(candles, { kind: 'BUY_AND_HOLD' }, { initialCapital: 5000, fillTiming });
        const firstFill = fillTiming === 'NEXT_OPEN' ? candles.open[1] : candles.close[0];
        expect(metrics.finalEquity).toBeCloseTo((5000 * candles.close[n - 1]) / firstFill, 6);
        expect(trades).toHaveLength(1);
        expect(trades[0].exitReason).toBe('END_OF_DATA');
      }),
      { numRuns: 100 },
    );
  });
});
