import type { Config } from '../../config/env.js';
import type { Dialect } from '../../db/dialect.js';
import type { Database } from '../../db/pool.js';
import type { PrismaClient } from '../../db/prisma.js';
import { ValidationError, type ValidationIssue } from '../../lib/errors.js';
import { INTERVALS, INTERVAL_NAMES, isIntervalName, type IntervalSpec } from '../../lib/intervals.js';
import type { Logger } from '../../lib/logger.js';
import { bucketStart, nextBucketStart } from '../../lib/time-bucket.js';
import {
  findCandleColumns,
  findCandleColumnsMany,
  recomputeDerivedCandles,
  refreshContinuousAggregate,
  hasCandlesBetween,
  insertStagedCandles,
  refreshMarketSummary,
  stageCandles,
  upsertStagedCandles,
} from './candle.store.js';
import type { CandleColumns, CandleSource } from './candle.types.js';
import { validateIngest } from './ingest.validation.js';
import { bumpDataVersion, lockInstrumentForIngest } from './instrument.store.js';
import { InstrumentNotFoundError } from './market-data.errors.js';

export interface MarketDataDeps {
  db: Database;
  prisma: PrismaClient;
  dialect: Dialect;
  config: Config;
  logger: Logger;
}

export interface IngestInput {
  symbol: string;
  baseInterval: string;
  /** Display name for a new instrument (defaults to the symbol); an existing name is kept. */
  name?: string | null;
  candles: CandleColumns;
}

export interface IngestResult {
  instrumentId: number;
  symbol: string;
  created: boolean;
  received: number;
  inserted: number;
  updated: number;
  unchanged: number;
  dataVersion: string;
  firstTime: Date | null;
  lastTime: Date | null;
  durationMs: number;
}

/**
 * Validated, idempotent upsert of one instrument's candles (created on first ingest).
 * After a change, in order: the data version is bumped (same transaction), candle_1d (and
 * candle_1h for bars finer than an hour) is brought up to date for the touched window, the
 * market summary is refreshed.
 * @throws ValidationError listing every problem by row; nothing is written then.
 */
export async function ingestCandles(
  deps: MarketDataDeps,
  input: IngestInput,
  options: { maxCandles: number | null } = { maxCandles: deps.config.MARKET_INGEST_MAX_CANDLES },
): Promise<IngestResult> {
  const started = performance.now();
  const symbol = input.symbol.trim();
  const existing = await deps.prisma.instrument.findUnique({ where: { symbol }, select: { baseInterval: true } });
  const issues = validateIngest({
    symbol,
    baseInterval: input.baseInterval,
    candles: input.candles,
    existingBaseInterval: existing?.baseInterval ?? null,
    maxCandles: options.maxCandles,
  });
  if (input.name !== undefined && input.name !== null && (input.name.trim() === '' || input.name.length > 200)) {
    issues.push({ path: ['name'], message: 'must be 1-200 characters' });
  }
  if (issues.length) throw new ValidationError(issues);

  const c = input.candles;
  const n = c.time.length;
  let minT = Infinity;
  let maxT = -Infinity;
  for (let i = 0; i < n; i++) {
    if (c.time[i]! < minT) minT = c.time[i]!;
    if (c.time[i]! > maxT) maxT = c.time[i]!;
  }
  const hourWindow = { from: bucketStart(INTERVALS['1h'], minT), to: nextBucketStart(INTERVALS['1h'], maxT) };
  const dayWindow = { from: bucketStart(INTERVALS['1d'], minT), to: nextBucketStart(INTERVALS['1d'], maxT) };
  // Hourly and daily uploads skip candle_1h, which is never read for them: with hourly bars
  // it would copy every row, and on TimescaleDB its refresh re-aggregates every instrument
  // in the window. (candle_1d is kept for all: the market summary reads it.)
  const keepsHourly = readsAggregate(HOUR_MS, INTERVALS[input.baseInterval as keyof typeof INTERVALS]);

  const client = await deps.db.pool.connect();
  let result: Omit<IngestResult, 'durationMs'>;
  try {
    await client.query('BEGIN');
    const instrument = await lockInstrumentForIngest(client, {
      symbol,
      name: input.name?.trim() || symbol,
      baseInterval: input.baseInterval,
    });
    // Checked again under the row lock: a concurrent first ingest may have created it.
    if (instrument.baseInterval !== input.baseInterval) {
      throw new ValidationError([
        { path: ['baseInterval'], message: `${symbol} is stored at ${instrument.baseInterval}; candles at ${input.baseInterval} cannot be mixed in` },
      ]);
    }
    await stageCandles(client, c);
    // Under the row lock no other ingest of this instrument can add rows, so when the range
    // is empty (a first load, appending new bars) a plain INSERT is exact and cheaper.
    const { inserted, updated } = (await hasCandlesBetween(client, instrument.id, minT, maxT))
      ? await upsertStagedCandles(client, instrument.id)
      : { inserted: await insertStagedCandles(client, instrument.id), updated: 0 };
    const changed = inserted + updated > 0;
    const dataVersion = changed ? await bumpDataVersion(client, instrument.id) : instrument.dataVersion;
    if (changed && !deps.dialect.timescaledb) {
      if (keepsHourly) await recomputeDerivedCandles(client, instrument.id, 'candle_1h', 'raw', hourWindow.from, hourWindow.to);
      await recomputeDerivedCandles(client, instrument.id, 'candle_1d', keepsHourly ? 'candle_1h' : 'raw', dayWindow.from, dayWindow.to);
    }
    await client.query('COMMIT');
    result = {
      instrumentId: instrument.id,
      symbol,
      created: instrument.created,
      received: n,
      inserted,
      updated,
      unchanged: n - inserted - updated,
      dataVersion,
      firstTime: new Date(minT),
      lastTime: new Date(maxT),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }

  if (result.inserted + result.updated > 0) {
    if (deps.dialect.timescaledb) {
      // Both aggregates read `candle` and neither depends on the other: refreshed side by
      // side on two connections.
      await Promise.all([
        keepsHourly && refreshContinuousAggregate(deps.db.pool, 'candle_1h', hourWindow.from, hourWindow.to, deps.dialect.caggRefreshOptions),
        refreshContinuousAggregate(deps.db.pool, 'candle_1d', dayWindow.from, dayWindow.to, deps.dialect.caggRefreshOptions),
      ]);
    }
    await refreshMarketSummary(deps.db.pool);
  }
  const durationMs = Math.round(performance.now() - started);
  deps.logger.info({ symbol, received: n, inserted: result.inserted, updated: result.updated, durationMs }, 'candles ingested');
  return { ...result, durationMs };
}

export interface CandleSeriesQuery {
  symbol: string;
  interval: string;
  from: Date;
  to: Date;
  maxPoints?: number | null;
}

export interface CandleSeries {
  symbol: string;
  /** Effective interval, after maxPoints widened it. */
  interval: string;
  source: CandleSource;
  candles: CandleColumns;
}

const DAY_MS = INTERVALS['1d'].ms!;
const HOUR_MS = INTERVALS['1h'].ms!;

/** Does a bucket of `outer` always consist of whole buckets of the fixed width `innerMs`? */
function divides(innerMs: number, outer: IntervalSpec): boolean {
  return outer.months > 0 ? DAY_MS % innerMs === 0 : outer.ms! % innerMs === 0;
}

/**
 * Can candles of `base` be read from the derived table of width `aggregateMs`? Only when it
 * is strictly coarser and made of whole base bars: at the base interval itself the raw
 * table is the source of truth and no cheaper. Ingest maintains candle_1h only where this holds.
 */
function readsAggregate(aggregateMs: number, base: IntervalSpec): boolean {
  return aggregateMs > base.ms! && aggregateMs % base.ms! === 0;
}

/** Number of `spec` buckets overlapping [fromMs, toMs). */
export function countBuckets(spec: IntervalSpec, fromMs: number, toMs: number): number {
  const first = bucketStart(spec, fromMs);
  if (spec.months > 0) {
    const a = new Date(first);
    const b = new Date(bucketStart(spec, toMs - 1));
    return ((b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth())) / spec.months + 1;
  }
  return Math.ceil((toMs - first) / spec.ms!);
}

/**
 * Plans a candles read: the effective interval (widened until ≤ maxPoints buckets) and the
 * coarsest source that can serve it exactly — candle_1d or candle_1h when their resolution
 * divides the interval, is coarser than the base interval and the range is aligned to it;
 * otherwise the raw candles.
 */
export function planCandleQuery(
  base: IntervalSpec,
  args: { interval: string; fromMs: number; toMs: number; maxPoints: number | null },
  cap: number,
): { interval: IntervalSpec; source: CandleSource; regroup: boolean } | ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!isIntervalName(args.interval)) issues.push({ path: ['interval'], message: `must be one of ${INTERVAL_NAMES.join(', ')}` });
  if (!Number.isFinite(args.fromMs)) issues.push({ path: ['from'], message: 'is not a valid time' });
  if (!Number.isFinite(args.toMs)) issues.push({ path: ['to'], message: 'is not a valid time' });
  if (Number.isFinite(args.fromMs) && Number.isFinite(args.toMs) && args.fromMs >= args.toMs) {
    issues.push({ path: ['to'], message: 'must be after from (from is inclusive, to exclusive)' });
  }
  if (args.maxPoints !== null && (!Number.isInteger(args.maxPoints) || args.maxPoints < 1 || args.maxPoints > cap)) {
    issues.push({ path: ['maxPoints'], message: `must be a whole number from 1 to ${cap}` });
  }
  if (issues.length) return issues;
  const requested = INTERVALS[args.interval as keyof typeof INTERVALS];
  const usable = (spec: IntervalSpec) =>
    spec.months > 0 ? DAY_MS % base.ms! === 0 : spec.ms! >= base.ms! && spec.ms! % base.ms! === 0;
  if (!usable(requested)) {
    const finer = requested.ms !== null && requested.ms < base.ms!;
    return [
      {
        path: ['interval'],
        message: finer
          ? `${requested.name} is finer than the instrument's base interval ${base.name}`
          : `${requested.name} is not a whole number of ${base.name} bars`,
      },
    ];
  }
  let interval = requested;
  if (args.maxPoints !== null && countBuckets(interval, args.fromMs, args.toMs) > args.maxPoints) {
    const wider = INTERVAL_NAMES.slice(INTERVAL_NAMES.indexOf(requested.name) + 1)
      .map((name) => INTERVALS[name])
      .filter(usable);
    const fit = wider.find((spec) => countBuckets(spec, args.fromMs, args.toMs) <= args.maxPoints!);
    if (!fit) {
      return [{ path: ['maxPoints'], message: `even the widest interval gives more than ${args.maxPoints} points for this range; narrow the range` }];
    }
    interval = fit;
  }
  const points = countBuckets(interval, args.fromMs, args.toMs);
  if (points > cap) {
    return [
      {
        path: ['maxPoints'],
        message: `${points} points at ${interval.name} exceed the limit of ${cap}; pass maxPoints, a wider interval or a shorter range`,
      },
    ];
  }
  const aligned = (ms: number) => args.fromMs % ms === 0 && args.toMs % ms === 0;
  for (const [source, ms] of [['candle_1d', DAY_MS], ['candle_1h', HOUR_MS]] as const) {
    if (readsAggregate(ms, base) && divides(ms, interval) && aligned(ms)) {
      return { interval, source, regroup: interval.ms !== ms };
    }
  }
  return { interval, source: 'raw', regroup: interval.ms !== base.ms };
}

/**
 * Candles of `symbol` in [from, to) at `interval` (see planCandleQuery). A range with no
 * data gives an empty series.
 * @throws ValidationError for bad arguments; InstrumentNotFoundError for an unknown symbol.
 */
export async function getCandleSeries(deps: MarketDataDeps, query: CandleSeriesQuery): Promise<CandleSeries> {
  const instrument = await deps.prisma.instrument.findUnique({
    where: { symbol: query.symbol },
    select: { id: true, symbol: true, baseInterval: true },
  });
  const cap = deps.config.MARKET_CANDLES_MAX_POINTS;
  const base = instrument ? INTERVALS[instrument.baseInterval as keyof typeof INTERVALS] : INTERVALS['1m'];
  const plan = planCandleQuery(
    base,
    { interval: query.interval, fromMs: query.from.getTime(), toMs: query.to.getTime(), maxPoints: query.maxPoints ?? null },
    cap,
  );
  if (Array.isArray(plan)) throw new ValidationError(plan);
  if (!instrument) throw new InstrumentNotFoundError(query.symbol);
  const candles = await findCandleColumns(deps.db.pool, {
    instrumentId: instrument.id,
    source: plan.source,
    intervalSql: plan.interval.sql,
    fromMs: query.from.getTime(),
    toMs: query.to.getTime(),
    regroup: plan.regroup,
    limit: cap,
  });
  return { symbol: instrument.symbol, interval: plan.interval.name, source: plan.source, candles };
}

/** Instruments per candle statement when loading a batch: bounds a statement's result size. */
export const BATCH_FETCH_SYMBOLS = 64;

/**
 * Candles of many instruments (all with the same base interval rules checked by the caller)
 * for a backtest run at `interval`, in [from, to): one statement per BATCH_FETCH_SYMBOLS
 * instruments, never one per instrument.
 * @throws ValidationError when the interval cannot be served for an instrument's base interval.
 */
export async function loadCandlesForRuns(
  deps: Pick<MarketDataDeps, 'db'>,
  instruments: ReadonlyArray<{ id: number; baseInterval: string }>,
  interval: string,
  from: Date,
  to: Date,
): Promise<Map<number, CandleColumns>> {
  const groups = new Map<string, { plan: ReturnType<typeof planCandleQuery>; ids: number[] }>();
  for (const instrument of instruments) {
    const base = INTERVALS[instrument.baseInterval as keyof typeof INTERVALS];
    const key = instrument.baseInterval;
    if (!groups.has(key)) {
      groups.set(key, {
        plan: planCandleQuery(base, { interval, fromMs: from.getTime(), toMs: to.getTime(), maxPoints: null }, Number.MAX_SAFE_INTEGER),
        ids: [],
      });
    }
    groups.get(key)!.ids.push(instrument.id);
  }
  const out = new Map<number, CandleColumns>();
  for (const { plan, ids } of groups.values()) {
    if (Array.isArray(plan)) throw new ValidationError(plan);
    for (let i = 0; i < ids.length; i += BATCH_FETCH_SYMBOLS) {
      const part = await findCandleColumnsMany(deps.db.pool, {
        instrumentIds: ids.slice(i, i + BATCH_FETCH_SYMBOLS),
        source: plan.source,
        intervalSql: plan.interval.sql,
        fromMs: from.getTime(),
        toMs: to.getTime(),
        regroup: plan.regroup,
        // At most one bar per interval step: columns sized once, no regrowth.
        expectedRows: countBuckets(plan.interval, from.getTime(), to.getTime()),
      });
      for (const [id, c] of part) out.set(id, c);
    }
  }
  return out;
}
