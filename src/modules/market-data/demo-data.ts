import { INTERVALS, type IntervalSpec } from '../../lib/intervals.js';
import { bucketStart } from '../../lib/time-bucket.js';
import type { Candles } from '../../engine/index.js';

/**
 * Deterministic demo market data (`npm run seed`, the embedded first start). Pure: no
 * clock, no Math.random — the seed and the window come in as arguments.
 *
 * Model, per instrument and bar (log prices):
 *  - volatility regime: a 2-state Markov chain, calm ⇄ turbulent (turbulent ≈ 2.5× the
 *    volatility, about a fifth of the time); switching probabilities are per unit of time,
 *    so regime lengths in days do not depend on the interval;
 *  - trend regime: segments of weeks that either drift (annualised drift drawn per segment:
 *    up- or down-trends) or range (the price is pulled back to the segment's starting level:
 *    mean-reverting stretches for RSI/Bollinger demos);
 *  - a weak pull (half-life a year) toward the instrument's reference price, so years of
 *    simulation stay at plausible levels;
 *  - returns are Gaussian with the regime's volatility; high/low extend past open/close by
 *    a half-normal amount; open = previous close;
 *  - volume: base × U-shaped profile over the UTC day (intraday intervals) × volatility
 *    ratio × (1 + |return| in σ) × log-normal noise.
 *
 * A bar's values depend only on (seed, symbol, interval, bar time): every path starts at
 * DEMO_ORIGIN (or at `start` when that is earlier), so overlapping windows agree and a later
 * seed run only adds the new bars.
 */

// Hoisted from Math: a global lookup per call is slow inside vm contexts (jest), and this loop runs millions of times.
const { PI, abs, ceil, cos, exp, floor, imul, log, max, min, pow, round, sin, sqrt } = Math;

/** Every path starts here (a Monday, on every fixed interval's grid). */
const DEMO_ORIGIN_MS = Date.UTC(2020, 0, 6);

const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;

export interface DemoInstrumentSpec {
  symbol: string;
  name: string;
  /** Price at DEMO_ORIGIN, and the level the long-run pull aims at. */
  price: number;
  /** Annualised volatility in the calm regime (log returns). */
  volatility: number;
  /** Decimal places prices are rounded to. */
  decimals: number;
  /** Typical volume per day. */
  dailyVolume: number;
  /** Decimal places of volume (crypto trades fractions). */
  volumeDecimals: number;
}

/** The default demo universe: 20 instruments across crypto, US stocks, ETFs and FX. */
export const DEMO_INSTRUMENTS: readonly DemoInstrumentSpec[] = [
  { symbol: 'BTCUSD', name: 'Bitcoin / US Dollar', price: 42_000, volatility: 0.6, decimals: 2, dailyVolume: 25_000, volumeDecimals: 4 },
  { symbol: 'ETHUSD', name: 'Ether / US Dollar', price: 2_300, volatility: 0.7, decimals: 2, dailyVolume: 300_000, volumeDecimals: 4 },
  { symbol: 'SOLUSD', name: 'Solana / US Dollar', price: 100, volatility: 0.9, decimals: 3, dailyVolume: 2_000_000, volumeDecimals: 3 },
  { symbol: 'XRPUSD', name: 'XRP / US Dollar', price: 0.6, volatility: 0.8, decimals: 5, dailyVolume: 900_000_000, volumeDecimals: 1 },
  { symbol: 'AAPL', name: 'Apple Inc.', price: 185, volatility: 0.25, decimals: 2, dailyVolume: 55_000_000, volumeDecimals: 0 },
  { symbol: 'MSFT', name: 'Microsoft Corporation', price: 375, volatility: 0.24, decimals: 2, dailyVolume: 22_000_000, volumeDecimals: 0 },
  { symbol: 'NVDA', name: 'NVIDIA Corporation', price: 48, volatility: 0.45, decimals: 2, dailyVolume: 400_000_000, volumeDecimals: 0 },
  { symbol: 'AMZN', name: 'Amazon.com, Inc.', price: 150, volatility: 0.3, decimals: 2, dailyVolume: 45_000_000, volumeDecimals: 0 },
  { symbol: 'GOOGL', name: 'Alphabet Inc. Class A', price: 140, volatility: 0.28, decimals: 2, dailyVolume: 28_000_000, volumeDecimals: 0 },
  { symbol: 'META', name: 'Meta Platforms, Inc.', price: 350, volatility: 0.35, decimals: 2, dailyVolume: 15_000_000, volumeDecimals: 0 },
  { symbol: 'TSLA', name: 'Tesla, Inc.', price: 250, volatility: 0.55, decimals: 2, dailyVolume: 110_000_000, volumeDecimals: 0 },
  { symbol: 'JPM', name: 'JPMorgan Chase & Co.', price: 170, volatility: 0.22, decimals: 2, dailyVolume: 9_000_000, volumeDecimals: 0 },
  { symbol: 'V', name: 'Visa Inc.', price: 260, volatility: 0.2, decimals: 2, dailyVolume: 6_000_000, volumeDecimals: 0 },
  { symbol: 'XOM', name: 'Exxon Mobil Corporation', price: 100, volatility: 0.27, decimals: 2, dailyVolume: 16_000_000, volumeDecimals: 0 },
  { symbol: 'KO', name: 'The Coca-Cola Company', price: 59, volatility: 0.15, decimals: 2, dailyVolume: 13_000_000, volumeDecimals: 0 },
  { symbol: 'NFLX', name: 'Netflix, Inc.', price: 480, volatility: 0.38, decimals: 2, dailyVolume: 4_000_000, volumeDecimals: 0 },
  { symbol: 'SPY', name: 'SPDR S&P 500 ETF Trust', price: 475, volatility: 0.15, decimals: 2, dailyVolume: 75_000_000, volumeDecimals: 0 },
  { symbol: 'QQQ', name: 'Invesco QQQ Trust', price: 405, volatility: 0.2, decimals: 2, dailyVolume: 45_000_000, volumeDecimals: 0 },
  { symbol: 'GLD', name: 'SPDR Gold Shares', price: 190, volatility: 0.14, decimals: 2, dailyVolume: 8_000_000, volumeDecimals: 0 },
  { symbol: 'EURUSD', name: 'Euro / US Dollar', price: 1.1, volatility: 0.07, decimals: 5, dailyVolume: 250_000, volumeDecimals: 0 },
];

export interface DemoMarketOptions {
  /** Any 32-bit integer; the same seed gives identical data. */
  seed: number;
  /** First bar: the first grid time ≥ start. */
  start: Date;
  /** Exclusive end. */
  end: Date;
  /** Bar length; must be one of the fixed intervals (1m … 1w). */
  intervalMs: number;
  /** How many of DEMO_INSTRUMENTS (the first N), or which symbols; default all 20. */
  symbols?: number | readonly string[];
}

export interface DemoInstrument {
  symbol: string;
  name: string;
  candles: Candles;
  /** Volatility regime of each bar: 0 calm, 1 turbulent (for tests and demos). */
  regime: Uint8Array;
}

/** Calm and turbulent volatility regimes: mean durations and the turbulent volatility multiple. */
const CALM_MEAN_MS = 40 * DAY_MS;
const TURBULENT_MEAN_MS = 10 * DAY_MS;
const TURBULENT_VOL_MULTIPLE = 2.5;
/** Trend segments: mean length; share of ranging (mean-reverting) segments; drift spread (annualised, × volatility). */
const SEGMENT_MEAN_MS = 45 * DAY_MS;
const RANGING_SHARE = 0.4;
const DRIFT_SPREAD = 0.8;
/** Half-life of the pull back to a ranging segment's level, and of the long-run pull to the reference price. */
const RANGE_HALF_LIFE_MS = 3 * DAY_MS;
const ANCHOR_HALF_LIFE_MS = YEAR_MS;

/**
 * Demo candles for `symbols` (default all of DEMO_INSTRUMENTS) on the interval grid in
 * [start, end). Deterministic in (seed, symbol, interval, bar time); OHLC consistent
 * (0 < low ≤ min(open, close) ≤ max(open, close) ≤ high), rounded to each instrument's decimals.
 * @throws RangeError for an interval that is not a fixed one, an unknown symbol, or end ≤ start.
 */
export function generateDemoMarket(options: DemoMarketOptions): DemoInstrument[] {
  const spec = Object.values(INTERVALS).find((s) => s.ms === options.intervalMs);
  if (!spec) throw new RangeError(`intervalMs ${options.intervalMs} is not one of the fixed intervals (1m … 1w)`);
  const specs = selectInstruments(options.symbols);
  const startMs = options.start.getTime();
  const endMs = options.end.getTime();
  if (!(endMs > startMs)) throw new RangeError('end must be after start');
  const first = alignUp(spec, startMs);
  const count = max(0, ceil((endMs - first) / spec.ms!));
  // Paths start at a fixed origin so a bar does not depend on the window it was asked in.
  const origin = min(DEMO_ORIGIN_MS, first);
  const skip = (first - origin) / spec.ms!;
  return specs.map((instrument) => simulate(instrument, options.seed, spec, origin, skip, count));
}

function selectInstruments(symbols: DemoMarketOptions['symbols']): readonly DemoInstrumentSpec[] {
  if (symbols === undefined) return DEMO_INSTRUMENTS;
  if (typeof symbols === 'number') {
    if (!Number.isInteger(symbols) || symbols < 1 || symbols > DEMO_INSTRUMENTS.length) {
      throw new RangeError(`symbols must be 1 to ${DEMO_INSTRUMENTS.length}`);
    }
    return DEMO_INSTRUMENTS.slice(0, symbols);
  }
  return symbols.map((symbol) => {
    const found = DEMO_INSTRUMENTS.find((i) => i.symbol === symbol);
    if (!found) throw new RangeError(`${symbol} is not a demo instrument (${DEMO_INSTRUMENTS.map((i) => i.symbol).join(', ')})`);
    return found;
  });
}

function alignUp(spec: IntervalSpec, ms: number): number {
  const start = bucketStart(spec, ms);
  return start === ms ? ms : start + spec.ms!;
}

/** U-shaped volume over the UTC day: busiest at the day's open and close, quietest mid-day (mean ≈ 1). */
function intradayVolumeShape(hourOfDay: number): number {
  const x = (hourOfDay - 11.5) / 11.5;
  return 0.55 + 1.35 * x * x;
}

function simulate(
  instrument: DemoInstrumentSpec,
  seed: number,
  spec: IntervalSpec,
  origin: number,
  skip: number,
  count: number,
): DemoInstrument {
  const barMs = spec.ms!;
  const rng = createRng(hashSeed(seed, instrument.symbol, spec.name));
  const normal = createNormal(rng);
  const dt = barMs / YEAR_MS;
  const sigmaCalm = instrument.volatility * sqrt(dt);
  const toTurbulent = 1 - exp(-barMs / CALM_MEAN_MS);
  const toCalm = 1 - exp(-barMs / TURBULENT_MEAN_MS);
  const segmentEnds = 1 - exp(-barMs / SEGMENT_MEAN_MS);
  const rangePull = 1 - pow(0.5, barMs / RANGE_HALF_LIFE_MS);
  const anchorPull = 1 - pow(0.5, barMs / ANCHOR_HALF_LIFE_MS);
  const anchor = log(instrument.price);
  const intraday = barMs < DAY_MS;
  const volumePerBar = instrument.dailyVolume * min(barMs / DAY_MS, 7);
  const priceScale = 10 ** instrument.decimals;
  const volumeScale = 10 ** instrument.volumeDecimals;
  const minPrice = 1 / priceScale;

  const time = new Float64Array(count);
  const open = new Float64Array(count);
  const high = new Float64Array(count);
  const low = new Float64Array(count);
  const close = new Float64Array(count);
  const volume = new Float64Array(count);
  const regime = new Uint8Array(count);

  let logPrice = anchor;
  let turbulent = false;
  let ranging = false;
  let drift = 0;
  let level = anchor;
  for (let step = 0; step < skip + count; step++) {
    // Regimes first, so the bar's own volatility reflects them.
    if (turbulent ? rng() < toCalm : rng() < toTurbulent) turbulent = !turbulent;
    if (step === 0 || rng() < segmentEnds) {
      ranging = rng() < RANGING_SHARE;
      drift = ranging ? 0 : normal() * DRIFT_SPREAD * instrument.volatility;
      level = logPrice;
    }
    const sigma = turbulent ? sigmaCalm * TURBULENT_VOL_MULTIPLE : sigmaCalm;
    const z = normal();
    const pull = (ranging ? rangePull * (level - logPrice) : 0) + anchorPull * (anchor - logPrice);
    const logReturn = drift * dt - 0.5 * sigma * sigma + pull + sigma * z;
    const wickUp = abs(normal()) * sigma * 0.6;
    const wickDown = abs(normal()) * sigma * 0.6;
    const noise = exp(0.35 * normal() - 0.06);
    const previous = logPrice;
    logPrice += logReturn;
    if (step < skip) continue;

    const i = step - skip;
    const t = origin + step * barMs;
    const o = roundTo(exp(previous), priceScale, minPrice);
    const c = roundTo(exp(logPrice), priceScale, minPrice);
    const hi = max(o, c, ceil(exp(max(previous, logPrice) + wickUp) * priceScale - 1e-9) / priceScale);
    const lo = min(o, c, max(minPrice, floor(exp(min(previous, logPrice) - wickDown) * priceScale + 1e-9) / priceScale));
    const shape = intraday ? intradayVolumeShape(new Date(t).getUTCHours() + new Date(t).getUTCMinutes() / 60) : 1;
    const activity = (sigma / sigmaCalm) * (1 + abs(z) * 0.5);
    time[i] = t;
    open[i] = o;
    high[i] = hi;
    low[i] = lo;
    close[i] = c;
    volume[i] = round(volumePerBar * shape * activity * noise * volumeScale) / volumeScale;
    regime[i] = turbulent ? 1 : 0;
  }
  return { symbol: instrument.symbol, name: instrument.name, candles: { time, open, high, low, close, volume }, regime };
}

function roundTo(value: number, scale: number, min: number): number {
  return max(min, round(value * scale) / scale);
}

/** FNV-1a over the seed and the names: independent streams per instrument and interval. */
function hashSeed(seed: number, ...parts: string[]): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) h = imul(h ^ part.charCodeAt(i), 0x01000193);
    h = imul(h ^ 0x2f, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast 32-bit PRNG; floats in [0, 1). */
function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller, both values used). */
function createNormal(rng: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const u = 1 - rng(); // (0, 1]: log(0) never happens
    const v = rng();
    const r = sqrt(-2 * log(u));
    spare = r * sin(2 * PI * v);
    return r * cos(2 * PI * v);
  };
}
