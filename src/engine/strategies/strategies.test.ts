import { describe, expect, it } from '@jest/globals';
import { ema } from '../indicators/ema.js';
import { sma } from '../indicators/sma.js';
import { FreshWorkBuffers } from '../work-buffers.js';
import { generateRandomWalkCandles } from '../testing/synthetic-candles.js';
import type { StrategyKind } from '../types.js';
import { computeSignals } from './compute-signals.js';
import { writeCrossoverSignals } from './crossover-signals.js';
import { LONG_ENTRY, LONG_EXIT, SHORT_ENTRY, SHORT_EXIT } from './signal-flags.js';

const candles = generateRandomWalkCandles(5000, 11, { volatility: 0.02 });

function signalsOf(kind: StrategyKind, params: Record<string, number>): Int8Array {
  const out = new Int8Array(candles.close.length);
  computeSignals(candles, kind, params, out, new FreshWorkBuffers());
  return out;
}

describe('SMA crossover fused pass', () => {
  it.each([
    [1, 2],
    [10, 30],
    [7, 200],
  ])('gives exactly the flags of two sma() arrays compared strictly (%i, %i)', (fast, slow) => {
    const expected = new Int8Array(candles.close.length);
    writeCrossoverSignals(sma(candles.close, fast), sma(candles.close, slow), expected);
    const actual = signalsOf('SMA_CROSSOVER', { fast, slow });
    expect(Array.from(actual)).toEqual(Array.from(expected));
    expect(actual.filter((f) => f !== 0).length).toBeGreaterThan(10);
  });
});

describe('crossover flags', () => {
  it('bullish cross = LONG_ENTRY | SHORT_EXIT, bearish = LONG_EXIT | SHORT_ENTRY', () => {
    const out = new Int8Array(4);
    writeCrossoverSignals(Float64Array.from([1, 3, 1, 1]), Float64Array.from([2, 2, 2, 1]), out);
    expect(Array.from(out)).toEqual([0, LONG_ENTRY | SHORT_EXIT, LONG_EXIT | SHORT_ENTRY, 0]);
  });

  it('EMA crossover compares ema() lines', () => {
    const expected = new Int8Array(candles.close.length);
    writeCrossoverSignals(ema(candles.close, 5), ema(candles.close, 20), expected);
    expect(Array.from(signalsOf('EMA_CROSSOVER', { fast: 5, slow: 20 }))).toEqual(Array.from(expected));
  });
});

describe('warm-up: the first bar that may carry a signal', () => {
  it.each<[StrategyKind, Record<string, number>, number]>([
    ['BUY_AND_HOLD', {}, 0],
    ['SMA_CROSSOVER', { fast: 3, slow: 8 }, 8], // both SMAs defined at t−1 = slow − 1
    ['EMA_CROSSOVER', { fast: 3, slow: 8 }, 8],
    ['RSI_REVERSION', { period: 6, oversold: 45, overbought: 55 }, 7], // RSI defined from t = period
    ['BOLLINGER_REVERSION', { period: 9, k: 0.5 }, 8], // bands defined from t = period − 1
    ['MACD_CROSSOVER', { fast: 3, slow: 8, signal: 4 }, 11], // signal line defined from slow + signal − 2
    ['DONCHIAN_BREAKOUT', { entry: 6, exit: 3 }, 6], // channel of the previous `entry` bars
  ])('%s %j: none before bar %i', (kind, params, first) => {
    const flags = signalsOf(kind, params);
    expect(Array.from(flags.subarray(0, first)).every((f) => f === 0)).toBe(true);
    // ...and the rule is tight: over many random walks some signal lands exactly on `first`.
    let hit = false;
    for (let seed = 1; seed <= 400 && !hit; seed++) {
      const c = generateRandomWalkCandles(first + 2, seed, { volatility: 0.05 });
      const out = new Int8Array(c.close.length);
      computeSignals(c, kind, params, out);
      hit = out[first] !== 0;
      expect(Array.from(out.subarray(0, first)).every((f) => f === 0)).toBe(true);
    }
    expect(hit).toBe(true);
  });
});

describe('level and channel rules', () => {
  it('Bollinger: long entry below the lower band, exit above the middle; short mirror', () => {
    const flags = signalsOf('BOLLINGER_REVERSION', { period: 20, k: 2 });
    const seen = new Set(Array.from(flags));
    expect(seen.has(LONG_ENTRY | SHORT_EXIT)).toBe(true); // below lower ⇒ also below middle
    expect(seen.has(SHORT_ENTRY | LONG_EXIT)).toBe(true);
  });

  it('Donchian: breakout above the previous highs enters long, below the previous lows exits', () => {
    const flags = signalsOf('DONCHIAN_BREAKOUT', { entry: 20, exit: 10 });
    for (let t = 21; t < candles.close.length; t++) {
      let prevHigh = -Infinity;
      for (let j = t - 20; j < t; j++) prevHigh = Math.max(prevHigh, candles.high[j]);
      let prevLow = Infinity;
      for (let j = t - 10; j < t; j++) prevLow = Math.min(prevLow, candles.low[j]);
      expect([t, (flags[t] & LONG_ENTRY) !== 0]).toEqual([t, candles.close[t] > prevHigh]);
      expect([t, (flags[t] & LONG_EXIT) !== 0]).toEqual([t, candles.close[t] < prevLow]);
    }
  });
});
