import { describe, expect, it } from '@jest/globals';
import { validateCandles } from './candle-validation.js';
import { candlesFromCloses } from './testing/candle-table.js';

describe('validateCandles', () => {
  const good = candlesFromCloses([10, 11, 12]);

  it('accepts well-formed candles', () => {
    expect(validateCandles(good)).toEqual([]);
  });

  it('requires six Float64Arrays of one non-zero length', () => {
    expect(validateCandles({ ...good, close: [1, 2, 3] as unknown as Float64Array })).toEqual([
      { path: ['close'], message: 'close must be a Float64Array.' },
    ]);
    const empty = candlesFromCloses([]);
    expect(validateCandles(empty)).toEqual([{ path: ['time'], message: 'At least one candle is required.' }]);
  });

  it('reports the first bad bar of each checked column', () => {
    const bad = { ...good, high: Float64Array.from([10, Infinity, -1]), low: Float64Array.from([NaN, 1, 1]), time: Float64Array.from([0, 5, 5]) };
    expect(validateCandles(bad)).toEqual([
      { path: ['time', '2'], message: 'Bar times must be finite and strictly increasing; bar 2 has 5 after 5.' },
      { path: ['high', '1'], message: 'high must be a finite price > 0; bar 1 has Infinity.' },
      { path: ['low', '0'], message: 'low must be a finite price > 0; bar 0 has NaN.' },
    ]);
    expect(validateCandles(bad, ['close', 'open'])).toEqual([]);
  });
});
