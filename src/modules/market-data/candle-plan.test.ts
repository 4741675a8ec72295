import { describe, expect, it } from '@jest/globals';
import { INTERVALS } from '../../lib/intervals.js';
import { countBuckets, planCandleRead, type CandlePlanResult } from './candle-plan.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
// 2024-01-01 is a Monday, midnight UTC: aligned to hours and days.
const FROM = Date.UTC(2024, 0, 1);

function plan(result: CandlePlanResult) {
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return { interval: result.plan.interval.name, source: result.plan.source, regroup: result.plan.regroup };
}

function issues(result: CandlePlanResult) {
  if (result.ok) throw new Error(`expected issues, got ${JSON.stringify(result.plan)}`);
  return result.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('planCandleRead: the source', () => {
  it.each([
    // [base, interval, from, to, expected source, regroup]
    ['1m', '1m', FROM, FROM + DAY, 'raw', false],
    ['1m', '5m', FROM, FROM + DAY, 'raw', true],
    ['1m', '1h', FROM, FROM + DAY, 'candle_1h', false],
    ['1m', '4h', FROM, FROM + DAY, 'candle_1h', true],
    ['1m', '1d', FROM, FROM + 10 * DAY, 'candle_1d', false],
    ['1m', '1w', FROM, FROM + 70 * DAY, 'candle_1d', true],
    ['1m', '1M', FROM, FROM + 365 * DAY, 'candle_1d', true],
    ['1h', '1h', FROM, FROM + DAY, 'raw', false],
    ['1h', '4h', FROM, FROM + DAY, 'raw', true],
    ['1h', '1d', FROM, FROM + 10 * DAY, 'candle_1d', false],
    ['1d', '1d', FROM, FROM + 10 * DAY, 'raw', false],
    ['1d', '1w', FROM, FROM + 70 * DAY, 'raw', true],
  ] as const)('%s bars at %s over [%d, %d) read %s (regroup %s)', (base, interval, from, to, source, regroup) => {
    expect(plan(planCandleRead(INTERVALS[base], { interval, fromMs: from, toMs: to, maxPoints: null }))).toEqual({ interval, source, regroup });
  });

  it('falls back to a finer source when the range is not aligned to the aggregate', () => {
    // Starts at 00:30: candle_1h buckets would hold bars outside the range.
    expect(plan(planCandleRead(INTERVALS['1m'], { interval: '1h', fromMs: FROM + 30 * 60_000, toMs: FROM + DAY, maxPoints: null }))).toMatchObject({ source: 'raw', regroup: true });
    // Hour-aligned but not day-aligned: a daily read comes from candle_1h.
    expect(plan(planCandleRead(INTERVALS['1m'], { interval: '1d', fromMs: FROM + HOUR, toMs: FROM + 10 * DAY, maxPoints: null }))).toMatchObject({ source: 'candle_1h', regroup: true });
  });

  it('reads the raw bars of an instrument whose aggregates lag its data', () => {
    for (const interval of ['1h', '1d', '1w']) {
      const planned = plan(planCandleRead(INTERVALS['1m'], { interval, fromMs: FROM, toMs: FROM + 70 * DAY, maxPoints: null, aggregatesFresh: false }));
      expect(planned).toMatchObject({ source: 'raw', regroup: true });
    }
    expect(plan(planCandleRead(INTERVALS['1m'], { interval: '1d', fromMs: FROM, toMs: FROM + 10 * DAY, maxPoints: null, aggregatesFresh: true }))).toMatchObject({ source: 'candle_1d' });
  });
});

describe('planCandleRead: maxPoints and the cap', () => {
  it('widens the interval to the first one that fits', () => {
    // 30 days of 1m bars = 43,200 points; 1,000 points fit at 1h (720).
    expect(plan(planCandleRead(INTERVALS['1m'], { interval: '1m', fromMs: FROM, toMs: FROM + 30 * DAY, maxPoints: 1000 }))).toEqual({ interval: '1h', source: 'candle_1h', regroup: false });
  });

  it('refuses a read over the cap, and a maxPoints over the cap', () => {
    expect(issues(planCandleRead(INTERVALS['1m'], { interval: '1m', fromMs: FROM, toMs: FROM + DAY, maxPoints: null }, 1000))).toEqual([
      'maxPoints: 1440 points at 1m exceed the limit of 1000; pass maxPoints, a wider interval or a shorter range',
    ]);
    expect(issues(planCandleRead(INTERVALS['1m'], { interval: '1m', fromMs: FROM, toMs: FROM + DAY, maxPoints: 5000 }, 1000))).toEqual(['maxPoints: must be a whole number from 1 to 1000']);
  });

  it('says so when even the widest interval does not fit', () => {
    expect(issues(planCandleRead(INTERVALS['1d'], { interval: '1d', fromMs: FROM, toMs: FROM + 3650 * DAY, maxPoints: 2 }))).toEqual([
      'maxPoints: even the widest interval gives more than 2 points for this range; narrow the range',
    ]);
  });
});

describe('planCandleRead: bad requests', () => {
  it('lists every problem with the arguments', () => {
    expect(issues(planCandleRead(INTERVALS['1h'], { interval: '7m', fromMs: Number.NaN, toMs: FROM, maxPoints: 0 }))).toEqual([
      'interval: must be one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d, 3d, 1w, 1M',
      'from: is not a valid time',
      'maxPoints: must be a positive whole number',
    ]);
    expect(issues(planCandleRead(INTERVALS['1h'], { interval: '1h', fromMs: FROM + DAY, toMs: FROM, maxPoints: null }))).toEqual([
      'to: must be after from (from is inclusive, to exclusive)',
    ]);
  });

  it('refuses intervals finer than the data, or not made of whole bars', () => {
    expect(issues(planCandleRead(INTERVALS['1h'], { interval: '15m', fromMs: FROM, toMs: FROM + DAY, maxPoints: null }))).toEqual([
      "interval: 15m is finer than the instrument's base interval 1h",
    ]);
    expect(issues(planCandleRead(INTERVALS['1w'], { interval: '1M', fromMs: FROM, toMs: FROM + 365 * DAY, maxPoints: null }))).toEqual([
      'interval: 1M is not a whole number of 1w bars',
    ]);
  });
});

describe('countBuckets', () => {
  it('counts buckets overlapping [from, to), partial ones included', () => {
    expect(countBuckets(INTERVALS['1h'], FROM, FROM + DAY)).toBe(24);
    expect(countBuckets(INTERVALS['1h'], FROM + 30 * 60_000, FROM + 2 * HOUR + 1)).toBe(3);
    expect(countBuckets(INTERVALS['1M'], Date.UTC(2024, 0, 15), Date.UTC(2024, 2, 2))).toBe(3);
  });
});
