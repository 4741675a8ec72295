/**
 * Demo market generator: determinism, OHLC and grid invariants, the regime and volume
 * features the demos rely on, and the default size. No database.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { INTERVALS } from '../../lib/intervals.js';
import { bucketStart } from '../../lib/time-bucket.js';
import { DEMO_INSTRUMENTS, generateDemoMarket, type DemoInstrument } from './demo-data.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const END = new Date(Date.UTC(2026, 10, 23));
const TWO_YEARS_BEFORE_END = new Date(END.getTime() - 730 * DAY);

/** The default demo market, generated once (20 × 17,520 hourly bars). */
const market = generateDemoMarket({ seed: 42, start: TWO_YEARS_BEFORE_END, end: END, intervalMs: HOUR });

function logReturns(c: DemoInstrument['candles']): Float64Array {
  const r = new Float64Array(c.close.length);
  for (let i = 0; i < r.length; i++) r[i] = Math.log(c.close[i]! / c.open[i]!);
  return r;
}

/** Byte equality of two typed arrays (jest's deep equality is slow on 17,520-element arrays). */
function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

function std(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

describe('generateDemoMarket', () => {
  it('makes 20 instruments × 2 years of hourly bars by default', () => {
    expect(market).toHaveLength(20);
    expect(market.map((m) => m.symbol)).toEqual(DEMO_INSTRUMENTS.map((i) => i.symbol));
    expect(market.map((m) => m.symbol)).toEqual(expect.arrayContaining(['BTCUSD', 'ETHUSD', 'AAPL', 'MSFT']));
    for (const m of market) {
      expect(m.name.length).toBeGreaterThan(0);
      for (const column of Object.values(m.candles)) expect(column).toHaveLength(17_520);
    }
  });

  it('is deterministic in the seed and never calls Math.random', () => {
    const random = jest.spyOn(Math, 'random');
    const again = generateDemoMarket({ seed: 42, start: TWO_YEARS_BEFORE_END, end: END, intervalMs: HOUR });
    expect(random).not.toHaveBeenCalled();
    random.mockRestore();
    expect(again.map((m) => [m.symbol, m.name])).toEqual(market.map((m) => [m.symbol, m.name]));
    for (const [k, m] of again.entries()) {
      for (const field of FIELDS) expect(same(m.candles[field], market[k]!.candles[field])).toBe(true);
      expect(same(m.regime, market[k]!.regime)).toBe(true);
    }
    const other = generateDemoMarket({ seed: 43, start: TWO_YEARS_BEFORE_END, end: END, intervalMs: HOUR, symbols: 2 });
    for (const [k, m] of other.entries()) {
      expect(same(m.candles.time, market[k]!.candles.time)).toBe(true);
      for (const field of FIELDS.slice(1)) expect(same(m.candles[field], market[k]!.candles[field])).toBe(false);
    }
  });

  it('gives a bar the same values whatever window or subset it was generated in', () => {
    const later = generateDemoMarket({
      seed: 42,
      start: new Date(END.getTime() - 30 * DAY),
      end: new Date(END.getTime() + 2 * DAY),
      intervalMs: HOUR,
      symbols: ['AAPL'],
    })[0]!;
    const full = market.find((m) => m.symbol === 'AAPL')!;
    const offset = full.candles.time.indexOf(later.candles.time[0]!);
    expect(offset).toBe(17_520 - 30 * 24);
    for (const field of FIELDS) expect(same(later.candles[field].subarray(0, 30 * 24), full.candles[field].subarray(offset))).toBe(true);
    expect(later.candles.time).toHaveLength(32 * 24);
  });

  it.each([
    ['5m', 3 * DAY],
    ['1h', 730 * DAY],
    ['1d', 3 * 365 * DAY],
    ['1w', 5 * 365 * DAY],
  ] as const)('keeps OHLC consistent and positive and times on the %s grid', (name, span) => {
    const spec = INTERVALS[name];
    const start = new Date(END.getTime() - span + 1234); // not aligned: the first bar is the next grid time
    const generated = name === '1h' ? market : generateDemoMarket({ seed: 7, start, end: END, intervalMs: spec.ms!, symbols: 4 });
    for (const { candles: c } of generated) {
      const n = c.time.length;
      expect(n).toBeGreaterThan(0);
      expect(c.time[0]!).toBeGreaterThanOrEqual(name === '1h' ? TWO_YEARS_BEFORE_END.getTime() : start.getTime());
      expect(c.time[n - 1]!).toBeLessThan(END.getTime());
      for (let i = 0; i < n; i++) {
        const lo = c.low[i]!;
        const hi = c.high[i]!;
        const o = c.open[i]!;
        const cl = c.close[i]!;
        if (!(lo > 0 && lo <= Math.min(o, cl) && Math.max(o, cl) <= hi && c.volume[i]! >= 0)) {
          throw new Error(`bar ${i}: o=${o} h=${hi} l=${lo} c=${cl} v=${c.volume[i]}`);
        }
        if (bucketStart(spec, c.time[i]!) !== c.time[i]) throw new Error(`bar ${i} at ${new Date(c.time[i]!).toISOString()} is off the grid`);
        if (i > 0 && c.time[i]! - c.time[i - 1]! !== spec.ms) throw new Error(`gap before bar ${i}`);
        if (i > 0 && o !== c.close[i - 1]) throw new Error(`bar ${i} does not open at the previous close`);
      }
    }
  });

  it('switches between calm and turbulent regimes that show in the realised volatility', () => {
    for (const m of market) {
      const r = logReturns(m.candles);
      const calm: number[] = [];
      const turbulent: number[] = [];
      r.forEach((v, i) => (m.regime[i] ? turbulent : calm).push(v));
      // Both regimes occur over two years, each for a meaningful share of the time.
      expect(turbulent.length).toBeGreaterThan(r.length * 0.03);
      expect(calm.length).toBeGreaterThan(r.length * 0.5);
      const ratio = std(turbulent) / std(calm);
      expect(ratio).toBeGreaterThan(2);
      expect(ratio).toBeLessThan(3);
      // Rolling one-week volatility, seen without the regime labels, spans the two levels.
      const weekly: number[] = [];
      for (let i = 168; i <= r.length; i += 168) weekly.push(std(Array.from(r.subarray(i - 168, i))));
      weekly.sort((a, b) => a - b);
      expect(weekly[Math.floor(weekly.length * 0.95)]! / weekly[Math.floor(weekly.length * 0.2)]!).toBeGreaterThan(1.8);
    }
  });

  it('has a U-shaped volume profile over the UTC day, and more volume when turbulent', () => {
    for (const m of market) {
      const byHour = Array.from({ length: 24 }, () => ({ sum: 0, n: 0 }));
      let calmVolume = 0;
      let calmN = 0;
      let turbulentVolume = 0;
      let turbulentN = 0;
      m.candles.time.forEach((t, i) => {
        const h = byHour[new Date(t).getUTCHours()]!;
        h.sum += m.candles.volume[i]!;
        h.n += 1;
        if (m.regime[i]) {
          turbulentVolume += m.candles.volume[i]!;
          turbulentN += 1;
        } else {
          calmVolume += m.candles.volume[i]!;
          calmN += 1;
        }
      });
      const mean = byHour.map((h) => h.sum / h.n);
      const midday = (mean[11]! + mean[12]!) / 2;
      expect(mean[0]! / midday).toBeGreaterThan(2);
      expect(mean[23]! / midday).toBeGreaterThan(2);
      expect(turbulentVolume / turbulentN / (calmVolume / calmN)).toBeGreaterThan(2);
    }
  });

  it('has trending and ranging stretches (90-day moves far beyond and well within one σ)', () => {
    let trending = 0;
    let ranging = 0;
    for (const m of market) {
      const spec = DEMO_INSTRUMENTS.find((i) => i.symbol === m.symbol)!;
      const sigma90 = spec.volatility * Math.sqrt(90 / 365);
      const c = m.candles.close;
      for (let i = 90 * 24; i < c.length; i += 90 * 24) {
        const move = Math.abs(Math.log(c[i]! / c[i - 90 * 24]!));
        if (move > 1.5 * sigma90) trending += 1;
        if (move < 0.25 * sigma90) ranging += 1;
      }
    }
    expect(trending).toBeGreaterThan(10);
    expect(ranging).toBeGreaterThan(10);
  });

  it('starts at plausible prices', () => {
    const first = (symbol: string) => market.find((m) => m.symbol === symbol)!.candles.open[0]!;
    expect(first('BTCUSD')).toBeGreaterThan(5_000);
    expect(first('AAPL')).toBeGreaterThan(50);
    expect(first('AAPL')).toBeLessThan(600);
    expect(first('EURUSD')).toBeGreaterThan(0.7);
    expect(first('EURUSD')).toBeLessThan(1.6);
  });

  it('rejects month intervals, unknown symbols and empty windows', () => {
    const base = { seed: 1, start: TWO_YEARS_BEFORE_END, end: END, intervalMs: HOUR };
    expect(() => generateDemoMarket({ ...base, intervalMs: 7 * 60_000 })).toThrow(RangeError);
    expect(() => generateDemoMarket({ ...base, symbols: ['NOPE'] })).toThrow(/NOPE is not a demo instrument/);
    expect(() => generateDemoMarket({ ...base, symbols: 21 })).toThrow(RangeError);
    expect(() => generateDemoMarket({ ...base, end: base.start })).toThrow(/end must be after start/);
  });
});
