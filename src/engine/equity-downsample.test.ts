import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { downsampleEquity } from './equity-downsample.js';
import type { EquityCurve } from './types.js';

function curveOf(values: number[]): EquityCurve {
  return {
    time: Float64Array.from(values, (_, i) => 1000 * i),
    equity: Float64Array.from(values),
    drawdown: Float64Array.from(values, (v) => -v / 1e6),
  };
}

describe('downsampleEquity', () => {
  it('returns a copy when the curve already fits', () => {
    const curve = curveOf([1, 2, 3]);
    const out = downsampleEquity(curve, 3);
    expect(Array.from(out.equity)).toEqual([1, 2, 3]);
    expect(out.equity).not.toBe(curve.equity);
  });

  it('keeps first, last, global peak and trough, in time order, within maxPoints', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 600 }),
        fc.integer({ min: 4, max: 80 }),
        (values, maxPoints) => {
          const curve = curveOf(values);
          const out = downsampleEquity(curve, maxPoints);
          expect(out.equity.length).toBeLessThanOrEqual(maxPoints);
          const times = Array.from(out.time);
          expect(times).toEqual([...times].sort((a, b) => a - b));
          expect(new Set(times).size).toBe(times.length);
          expect(out.time[0]).toBe(curve.time[0]);
          expect(out.time[out.time.length - 1]).toBe(curve.time[values.length - 1]);
          expect(Math.max(...out.equity)).toBe(Math.max(...values));
          expect(Math.min(...out.equity)).toBe(Math.min(...values));
          // Points are taken whole: equity and drawdown of the same bar.
          for (let k = 0; k < out.time.length; k++) {
            const i = out.time[k] / 1000;
            expect([out.equity[k], out.drawdown[k]]).toEqual([curve.equity[i], curve.drawdown[i]]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps exactly the points of the definition: first, last, peak, trough and each bucket’s extremes', () => {
    // The definition written plainly (a set of indices, sorted), against the single pass.
    const reference = (values: number[], maxPoints: number): number[] => {
      const n = values.length;
      if (n <= maxPoints) return values.map((_, i) => i);
      let peak = 0;
      let trough = 0;
      values.forEach((v, i) => {
        if (v > values[peak]!) peak = i;
        if (v < values[trough]!) trough = i;
      });
      const keep = new Set([n - 1, 0, trough, peak].filter((v, i, all) => all.indexOf(v) === i).slice(0, maxPoints));
      const buckets = Math.floor((maxPoints - keep.size) / 2);
      for (let b = 0; b < buckets; b++) {
        const from = 1 + Math.floor((b * (n - 2)) / buckets);
        const to = 1 + Math.floor(((b + 1) * (n - 2)) / buckets);
        if (from >= to) continue;
        let lo = from;
        let hi = from;
        for (let i = from + 1; i < to; i++) {
          if (values[i]! < values[lo]!) lo = i;
          if (values[i]! > values[hi]!) hi = i;
        }
        keep.add(lo).add(hi);
      }
      return [...keep].sort((a, b) => a - b);
    };
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 400 }), // small range: ties everywhere
        fc.integer({ min: 1, max: 120 }),
        (values, maxPoints) => {
          const out = downsampleEquity(curveOf(values), maxPoints);
          expect(Array.from(out.time, (t) => t / 1000)).toEqual(reference(values, maxPoints));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('uses the budget: min and max of each bucket', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 100 + Math.sin(i / 10) * 10 + i / 100);
    const out = downsampleEquity(curveOf(values), 100);
    expect(out.equity.length).toBeGreaterThanOrEqual(96);
    expect(out.equity.length).toBeLessThanOrEqual(100);
  });

  it('with fewer than 4 points keeps last, first, trough, peak in that priority', () => {
    const curve = curveOf([5, 9, 1, 7]);
    expect(Array.from(downsampleEquity(curve, 1).equity)).toEqual([7]);
    expect(Array.from(downsampleEquity(curve, 2).equity)).toEqual([5, 7]);
    expect(Array.from(downsampleEquity(curve, 3).equity)).toEqual([5, 1, 7]);
  });

  it('rejects maxPoints that is not a positive integer', () => {
    expect(() => downsampleEquity(curveOf([1, 2]), 0)).toThrow(RangeError);
    expect(() => downsampleEquity(curveOf([1, 2]), 2.5)).toThrow(RangeError);
  });
});
