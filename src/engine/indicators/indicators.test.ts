/**
 * Cross-check of every indicator against an independent implementation, the
 * `trading-signals` library, on a few thousand random bars, within 1e-9.
 *
 * Conventions shared with trading-signals: EMA seeded with the first value and reported
 * from the `period`-th value; Wilder RSI seeded with a simple mean of the first `period`
 * changes; Bollinger with the population standard deviation; Donchian over the last
 * `period` bars including the current one.
 * Where the conventions differ: trading-signals' MACD reports a signal line from the first
 * MACD value (its EMA is not yet "stable" then); ours is NaN until `signal` MACD values
 * exist. Values agree wherever both are defined, which is what is compared.
 */
import { describe, expect, it } from '@jest/globals';
import { BollingerBands, DonchianChannels, EMA, MACD, RSI, SMA } from 'trading-signals';
import { generateRandomWalkCandles } from '../testing/synthetic-candles.js';
import { bollinger } from './bollinger.js';
import { donchian } from './donchian.js';
import { ema } from './ema.js';
import { macd } from './macd.js';
import { rsi } from './rsi.js';
import { sma } from './sma.js';

const BARS = 3000;
const TOLERANCE = 1e-9;
const candles = generateRandomWalkCandles(BARS, 7, { volatility: 0.02 });
const closes = Array.from(candles.close);

/** Asserts ours[t] is NaN exactly where theirs is null, and within tolerance elsewhere. */
function expectSeries(ours: Float64Array, theirs: (number | null | undefined)[]): void {
  expect(ours).toHaveLength(theirs.length);
  let compared = 0;
  for (let t = 0; t < theirs.length; t++) {
    const expected = theirs[t];
    if (expected === null || expected === undefined) {
      expect([t, ours[t]]).toEqual([t, NaN]);
    } else {
      if (Math.abs(ours[t] - expected) > TOLERANCE) expect([t, ours[t]]).toEqual([t, expected]);
      compared++;
    }
  }
  expect(compared).toBeGreaterThan(theirs.length / 2);
}

describe.each([1, 2, 5, 14, 50, 200])('period %i', (period) => {
  it('SMA matches trading-signals', () => {
    const lib = new SMA(period);
    expectSeries(sma(candles.close, period), closes.map((c) => lib.add(c)));
  });

  it('EMA matches trading-signals (first-value seed, defined from the period-th value)', () => {
    const lib = new EMA(period);
    expectSeries(ema(candles.close, period), closes.map((c) => (lib.add(c), lib.isStable ? lib.getResult() : null)));
  });

  it('Bollinger bands (population σ) match trading-signals', () => {
    const k = 2.5;
    const lib = new BollingerBands(period, k);
    const theirs = closes.map((c) => lib.add(c));
    const ours = bollinger(candles.close, period, k);
    expectSeries(ours.lower, theirs.map((b) => b?.lower));
    expectSeries(ours.middle, theirs.map((b) => b?.middle));
    expectSeries(ours.upper, theirs.map((b) => b?.upper));
  });

  it('Donchian channel matches trading-signals', () => {
    const lib = new DonchianChannels(period);
    const theirs = closes.map((_, t) => lib.add({ high: candles.high[t], low: candles.low[t] }));
    const ours = donchian(candles.high, candles.low, period);
    expectSeries(ours.upper, theirs.map((c) => c?.upper));
    expectSeries(ours.lower, theirs.map((c) => c?.lower));
  });
});

// trading-signals' RSI keeps only `period` past prices, so with period 1 it never has a
// change to measure; RSI_REVERSION requires period ≥ 2 anyway.
describe.each([2, 5, 14, 50, 200])('RSI period %i', (period) => {
  it('Wilder RSI matches trading-signals', () => {
    const lib = new RSI(period);
    expectSeries(rsi(candles.close, period), closes.map((c) => lib.add(c)));
  });
});

describe.each([
  [12, 26, 9],
  [3, 10, 5],
  [1, 2, 1],
])('MACD(%i, %i, %i)', (fast, slow, signal) => {
  it('matches trading-signals where both define the line and the signal', () => {
    const lib = new MACD(new EMA(fast), new EMA(slow), new EMA(signal));
    const theirs = closes.map((c) => lib.add(c));
    const ours = macd(candles.close, fast, slow, signal);
    expectSeries(ours.macd, theirs.map((m) => m?.macd));
    // The agreed part of the signal line: from the `signal`-th MACD value on.
    const firstSignal = slow - 1 + signal - 1;
    expectSeries(ours.signal, theirs.map((m, t) => (t >= firstSignal ? m?.signal : null)));
    expectSeries(ours.histogram, theirs.map((m, t) => (t >= firstSignal ? m?.histogram : null)));
  });
});

describe('edge cases', () => {
  it('returns all NaN when there are fewer values than the period', () => {
    const short = Float64Array.from([1, 2, 3]);
    expect(Array.from(sma(short, 5))).toEqual([NaN, NaN, NaN]);
    expect(Array.from(ema(short, 5))).toEqual([NaN, NaN, NaN]);
    expect(Array.from(rsi(short, 3))).toEqual([NaN, NaN, NaN]);
    expect(Array.from(donchian(short, short, 4).upper)).toEqual([NaN, NaN, NaN]);
  });

  it('RSI is 100 when there are no losses', () => {
    expect(Array.from(rsi(Float64Array.from([1, 2, 3, 4]), 2))).toEqual([NaN, NaN, 100, 100]);
  });
});
