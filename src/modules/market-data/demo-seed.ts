import { ValidationError, type ValidationIssue } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { bucketStart } from '../../lib/time-bucket.js';
import { generateDemoMarket } from './demo-data.js';
import { validateBaseInterval } from './ingest.validation.js';
import type { MarketDataService } from './market-data.service.js';

const DAY_MS = 86_400_000;

export interface SeedDemoOptions {
  /** PRNG seed; default 42. */
  seed?: number;
  /** Length of history in 365-day years; default 2. */
  years?: number;
  /** Base interval of the demo instruments (a fixed one, 1m … 1w); default '1h'. */
  interval?: string;
  /** How many demo instruments (1-20); default 20. */
  symbols?: number;
  /** The history ends at the start of the bar containing `now` (exclusive): only complete bars. Default: the current time. */
  now?: Date;
  /** Called after each instrument is ingested (progress output). */
  onInstrument?: (progress: { symbol: string; index: number; total: number; inserted: number; updated: number }) => void;
}

export interface SeedDemoResult {
  instruments: number;
  /** Candles generated (and passed to ingest). */
  candles: number;
  inserted: number;
  updated: number;
  durationMs: number;
}

/**
 * Generates the deterministic demo market (see generateDemoMarket) and ingests it through the
 * same path as real data, one instrument after another (each ingest is its own transaction),
 * with one refresh of the aggregates and the market summary at the end (ingestMany).
 * Idempotent: a bar's values depend only on the seed, symbol, interval and its time, so
 * running again stores nothing new except bars completed since.
 * @throws ValidationError for out-of-range options.
 */
export async function seedDemoData(marketData: MarketDataService, options: SeedDemoOptions = {}): Promise<SeedDemoResult> {
  const started = performance.now();
  const seed = options.seed ?? 42;
  const years = options.years ?? 2;
  const interval = options.interval ?? '1h';
  const symbols = options.symbols ?? 20;
  const issues: ValidationIssue[] = [];
  if (!Number.isInteger(seed)) issues.push({ path: ['seed'], message: 'must be a whole number' });
  if (!(years > 0 && years <= 20)) issues.push({ path: ['years'], message: 'must be more than 0 and at most 20' });
  const base = validateBaseInterval(interval);
  if (typeof base === 'string') issues.push({ path: ['interval'], message: base });
  if (!Number.isInteger(symbols) || symbols < 1 || symbols > 20) issues.push({ path: ['symbols'], message: 'must be 1 to 20' });
  if (issues.length || typeof base === 'string') throw new ValidationError(issues);

  const end = bucketStart(base, (options.now ?? new Date()).getTime());
  const start = end - Math.round(years * 365) * DAY_MS;
  const market = generateDemoMarket({ seed, start: new Date(start), end: new Date(end), intervalMs: base.ms!, symbols });

  const result: SeedDemoResult = { instruments: market.length, candles: 0, inserted: 0, updated: 0, durationMs: 0 };
  let index = 0;
  const inputs = market.map((instrument) => ({ symbol: instrument.symbol, baseInterval: interval, name: instrument.name, candles: instrument.candles }));
  await marketData.ingestMany(inputs, { maxCandles: null }, (ingested) => {
    result.candles += ingested.received;
    result.inserted += ingested.inserted;
    result.updated += ingested.updated;
    options.onInstrument?.({ symbol: ingested.symbol, index: index++, total: market.length, inserted: ingested.inserted, updated: ingested.updated });
  });
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

/** The embedded first start: an empty database gets the demo market, so there is something to query at once. */
export async function seedDemoDataIfEmpty(marketData: MarketDataService, logger: Logger): Promise<void> {
  if ((await marketData.countInstruments()) > 0) return;
  logger.info('empty database: loading demo market data (20 instruments, 2 years of hourly candles)');
  const seeded = await seedDemoData(marketData);
  logger.info({ instruments: seeded.instruments, candles: seeded.candles, durationMs: seeded.durationMs }, 'demo data loaded');
}
