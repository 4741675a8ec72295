import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MarketConfig } from '../../config/env.js';
import type { Dialect } from '../../db/dialect.js';
import type { Database } from '../../db/pool.js';
import { withTransaction } from '../../db/transaction.js';
import type { Candles } from '../../engine/index.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { ValidationError, type ValidationIssue } from '../../lib/errors.js';
import { INTERVALS, type IntervalName, type IntervalSpec } from '../../lib/intervals.js';
import type { Logger } from '../../lib/logger.js';
import { wholeBuckets } from '../../lib/time-bucket.js';
import { WorkInFlight } from '../../lib/work-in-flight.js';
import type { CandleRow, CandleSource } from './candle-columns.js';
import { BlockAssembler, fieldSetCode, fieldSetOf, PRICE_FIELDS, regroupCandles, toSharedCandles, type FieldSet, type SharedCandles } from './candle-blocks.js';
import type { PubSub } from '../../events/pubsub.js';
import type { CandleCache, CandleCacheStats } from './candle-cache.js';
import { countBuckets, planCandleRead, rangeLengthIssue, sourceSpec, type CandlePlan } from './candle-plan.js';
import {
  compressCandleChunks,
  findCandleColumns,
  findCandleColumnsMany,
  findCoverage,
  findLatestCandles,
  findMarketSummaries,
  findSparklines,
  findTopMovers,
  findCandleBlocks,
  hasCandlesInHalfOpenRange,
  insertStagedCandles,
  rebuildCandleBlocks,
  refreshMarketSummaries,
  stageCandles,
  upsertStagedCandles,
  type CoverageRow,
  type MarketSummaryRow,
} from './candle.store.js';
import { toCoverage, type Coverage } from './coverage.js';
import { AggregateRefresher, type AggregateRefreshTiming } from './aggregate-refresh.js';
import { derivedCandleUpkeep, touchedWindow, type DerivedCandleUpkeep } from './derived-candles.js';
import { SYMBOL_PATTERN, validateIngest } from './ingest.validation.js';
import { bumpDataVersion, lockInstrumentForIngest, type LockedInstrument } from './instrument.store.js';
import { aggregatesFresh, type InstrumentQuery, type InstrumentRef, type InstrumentRepository } from './instrument.repository.js';
import { InstrumentNotFoundError } from './market-data.errors.js';

export type { InstrumentRef };

export interface MarketDataDeps {
  db: Database;
  instruments: InstrumentRepository;
  /** The candle cache of backtest reads (candle-cache.ts). */
  cache: CandleCache;
  pubsub: PubSub<MarketDataTopics>;
  dialect: Dialect;
  logger: Logger;
  config: MarketConfig;
  /**
   * Backtests of a process that runs them: `whenIdle` waits while they run — its engine
   * threads and, with a shared queue, any job anywhere (true when it had to wait). Such a
   * process writes what it read from the database to the shared cache level once it is idle
   * (see shareWhenIdle); absent: at once.
   */
  engine?: { whenIdle: (signal?: AbortSignal) => Promise<boolean> };
  /** Fill this process's L1 with what other processes read from the database (see keepCacheWarm); needs `engine`. */
  peerFill?: boolean;
  /** When TimescaleDB's aggregates are refreshed after ingests (tests shorten it). */
  aggregateRefresh?: AggregateRefreshTiming;
}

export interface IngestInput {
  symbol: string;
  baseInterval: string;
  /** Display name for a new instrument (defaults to the symbol); an existing name is kept. */
  name?: string | null;
  candles: Candles;
}

export interface IngestOptions {
  /** Most candles per request; null: no limit (the CSV import, seeding). Default MARKET_INGEST_MAX_CANDLES. */
  maxCandles?: number | null;
  /** How messages name another row (see validateIngest); the CSV import names file lines. */
  rowLabel?: (row: number) => string;
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
  candles: Candles;
  /** The effective interval and the range asked for: bars the range cuts are partial. */
  range: { spec: IntervalSpec; fromMs: number; toMs: number };
}

export type MoverWindow = 'change_24h' | 'change_7d' | 'change_30d';

/** Instruments per candle statement when loading runs: bounds a statement's result size. */
export const BATCH_FETCH_SYMBOLS = 64;
/** Ranges remembered per instrument for warming after an ingest, and instruments remembered. */
const RECENT_RANGES = 8;
const RECENT_INSTRUMENTS = 1_000;
/**
 * A busy process copies what it read to the shared cache level after this long at the latest
 * (a queue that never empties must not keep the other processes reading the database).
 */
const SHARE_AT_LATEST_MS = 15_000;

/** A series read from the database for runs, to copy to the shared cache level. */
interface ReadFromDatabase {
  key: string;
  candles: SharedCandles;
  rangeEndMs: number;
}

/** The topics of the market data module (see events/pubsub.ts). */
export type MarketDataTopics = {
  /** Channel `candles.ingested`: an instrument's candles changed (every process that runs backtests re-caches its ranges). */
  'candles.ingested': [event: { instrumentId: number; dataVersion: string }];
  /**
   * Channel `candles.cached`: a process read these ranges from the database and put them in
   * the shared cache (L2); every other process that runs backtests copies them into its own
   * L1 while it reads nothing itself, so the next batch finds them in memory whichever
   * worker takes which chunk.
   */
  'candles.cached': [event: { origin: string; keys: string[] }];
};

/** A range of candles backtests read (what warming re-caches). */
export interface CandleRange {
  instrumentId: number;
  interval: string;
  from: Date;
  to: Date;
  /** The columns the runs read (see loadCandlesForRuns); all when absent. */
  columns?: readonly string[];
}

/** The cache key of a range: the data version makes an ingest invalidate it. */
function candleKey(instrument: InstrumentRef, interval: string, fromMs: number, toMs: number, fields: FieldSet): string {
  return `candles:v2:${instrument.id}:${instrument.dataVersion}:${interval}:${fromMs}:${toMs}:${fieldSetCode(fields)}`;
}

/**
 * Market data: the instrument and candle tables, their derived candles and the market
 * summary. The one module that reads or writes them; others call this service.
 */
export class MarketDataService {
  private readonly upkeep: DerivedCandleUpkeep;
  /** Ranges recently read for backtests, by instrument (most recent last): what an ingest re-caches. */
  private readonly recentRanges = new Map<number, Map<string, { interval: string; fromMs: number; toMs: number; fields: FieldSet }>>();
  /** This process, in `candles.cached` events (its own are ignored). */
  private readonly origin = randomUUID();
  /** Aborted by close(): background waits for idleness end. */
  private readonly closing = new AbortController();
  /** Candle reads for runs in progress here (peerFill waits for there to be none). */
  private readonly reads = new WorkInFlight();
  /** Deferred writes to the shared cache level, waiting for this process to be idle. */
  private readonly sharing = new Set<Promise<void>>();

  /** TimescaleDB: catches the continuous aggregates up with ingests (null: portable, always fresh). */
  private readonly refresher: AggregateRefresher | null;

  constructor(private readonly deps: MarketDataDeps) {
    this.upkeep = derivedCandleUpkeep(deps.dialect);
    this.refresher =
      this.upkeep.afterIngest === 'behind'
        ? new AggregateRefresher({ pool: deps.db.pool, dialect: deps.dialect, logger: deps.logger, timing: deps.aggregateRefresh })
        : null;
  }

  /**
   * Validated, idempotent upsert of one instrument's candles (created on first ingest). In
   * one transaction under the instrument's row lock: stage, write, bump the data version,
   * derived candles (portable dialect); then continuous aggregates (TimescaleDB) and the
   * market summary.
   * @throws ValidationError listing every problem (rows with `row` and `field`); nothing is written then.
   */
  async ingestCandles(input: IngestInput, options: IngestOptions = {}): Promise<IngestResult> {
    const started = performance.now();
    const [result] = await this.ingestMany([input], options);
    return { ...result!, durationMs: Math.round(performance.now() - started) };
  }

  /**
   * Ingests several instruments' candles one after another, each its own transaction (as
   * ingestCandles) that leaves its summary row and (portable) derived candles exact.
   * TimescaleDB's continuous aggregates are refreshed in the background for many ingests at
   * once (AggregateRefresher); reads of an instrument they lag use its raw bars. `inputs` is
   * read lazily (a generator keeps one instrument's candles in memory at a time). When an
   * input is invalid, those before it stay written and its ValidationError is thrown.
   */
  async ingestMany(inputs: Iterable<IngestInput>, options: IngestOptions = {}, onIngested?: (result: IngestResult) => void): Promise<IngestResult[]> {
    const results: IngestResult[] = [];
    for (const input of inputs) {
      const started = performance.now();
      const written = await this.writeIngest(input, options);
      const result = { ...written.result, durationMs: Math.round(performance.now() - started) };
      if (written.changed) await this.afterIngest(result);
      this.deps.logger.info({ symbol: result.symbol, received: result.received, inserted: result.inserted, updated: result.updated, durationMs: result.durationMs }, 'candles ingested');
      results.push(result);
      onIngested?.(result);
    }
    return results;
  }

  /** One instrument's ingest transaction (validation first: nothing is written for a bad input). */
  private async writeIngest(input: IngestInput, options: IngestOptions) {
    const symbol = input.symbol.trim();
    const issues = validateIngest({
      symbol,
      baseInterval: input.baseInterval,
      name: input.name,
      candles: input.candles,
      maxCandles: options.maxCandles === undefined ? this.deps.config.ingestMaxCandles : options.maxCandles,
      rowLabel: options.rowLabel,
    });
    if (issues.length) throw new ValidationError(issues);

    const { minMs, maxMs } = timeBounds(input.candles);
    const window = touchedWindow(INTERVALS[input.baseInterval as IntervalName], minMs, maxMs);
    const written = await withTransaction(this.deps.db.pool, async (client) => {
      const instrument = await lockInstrumentForIngest(client, { symbol, name: input.name?.trim() || symbol, baseInterval: input.baseInterval });
      assertSameBaseInterval(instrument, input.baseInterval);
      const counts = await this.writeCandles(client, instrument, input.candles, minMs, maxMs);
      const changed = counts.inserted + counts.updated > 0;
      if (changed) {
        await rebuildCandleBlocks(client, instrument.id, minMs, maxMs);
        await this.upkeep.inTransaction(client, instrument.id, window);
        await refreshMarketSummaries(client, [instrument.id]);
      }
      const dataVersion = changed ? await bumpDataVersion(client, instrument.id, { aggregates: this.upkeep.afterIngest, fromMs: minMs, toMs: maxMs }) : instrument.dataVersion;
      return { instrument, ...counts, changed, dataVersion };
    });
    const n = input.candles.time.length;
    const result: IngestResult = {
      instrumentId: written.instrument.id,
      symbol,
      created: written.instrument.created,
      received: n,
      inserted: written.inserted,
      updated: written.updated,
      unchanged: n - written.inserted - written.updated,
      dataVersion: written.dataVersion,
      firstTime: new Date(minMs),
      lastTime: new Date(maxMs),
      durationMs: 0,
    };
    return { result, changed: written.changed, window };
  }

  /** After an ingest committed: the aggregates' refresh scheduled, and the event that makes processes running backtests re-cache its ranges. */
  private async afterIngest(result: IngestResult): Promise<void> {
    this.refresher?.schedule();
    await this.deps.pubsub.publish('candles.ingested', { instrumentId: result.instrumentId, dataVersion: result.dataVersion });
  }

  /**
   * Brings TimescaleDB's continuous aggregates up to date with every ingest committed so far
   * (what the background refresh does; tests and benches call it to wait for it). Returns how
   * many instruments it brought up to date; 0 on the portable dialect (always up to date).
   */
  async refreshAggregates(): Promise<number> {
    return (await this.refresher?.refreshNow()) ?? 0;
  }

  /**
   * Compresses the candle chunks wholly inside [from, to) now instead of waiting for the
   * policy (operators: `npm run db:compress`; tests). Returns how many it compressed.
   * @throws ValidationError on the portable dialect (nothing is compressed there) or a bad range.
   */
  async compressCandles(from: Date, to: Date): Promise<number> {
    const issues: ValidationIssue[] = [];
    if (!this.deps.dialect.timescaledb) issues.push({ path: [], message: 'compression needs TimescaleDB; this database uses the portable dialect' });
    if (!(from.getTime() < to.getTime())) issues.push({ path: ['to'], message: 'must be after from' });
    if (issues.length) throw new ValidationError(issues);
    return compressCandleChunks(this.deps.db.pool, from.getTime(), to.getTime());
  }

  /** Stops the aggregates' refresh (waiting for one in progress); the runtime calls it before closing the pool. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.refresher?.stop();
  }

  /**
   * For long-running processes: refreshes TimescaleDB's aggregates after ingests made by any
   * process (`candles.ingested`) and sweeps for instruments left behind (an import command
   * that exited, a refresh lost with its process). Nothing to do on the portable dialect.
   */
  async keepAggregatesFresh(): Promise<{ close(): Promise<void> }> {
    const refresher = this.refresher;
    if (!refresher) return { close: async () => undefined };
    const ingests = await this.deps.pubsub.listen('candles.ingested');
    void (async () => {
      for await (const _ of ingests) refresher.schedule();
    })();
    refresher.startSweeping();
    return { close: () => ingests.close() };
  }

  /**
   * Stages the candles and moves them into `candle`. Under the row lock no other ingest of
   * this instrument can add rows, so when the range holds none yet (a first load, appending
   * new bars) a plain INSERT is exact and cheaper than the upsert.
   */
  private async writeCandles(client: Parameters<typeof stageCandles>[0], instrument: LockedInstrument, candles: Candles, minMs: number, maxMs: number) {
    await stageCandles(client, candles);
    if (await hasCandlesInHalfOpenRange(client, instrument.id, minMs, maxMs + 1)) return upsertStagedCandles(client, instrument.id);
    return { inserted: await insertStagedCandles(client, instrument.id), updated: 0 };
  }

  /**
   * Candles of `symbol` in [from, to) at `interval` (see planCandleRead). A range with no
   * data gives an empty series.
   * @throws ValidationError for bad arguments; InstrumentNotFoundError for an unknown symbol.
   */
  async getCandleSeries(query: CandleSeriesQuery): Promise<CandleSeries> {
    const instrument = await this.deps.instruments.findRefBySymbol(query.symbol);
    const cap = this.deps.config.candlesMaxPoints;
    // Arguments are checked before the symbol, so a bad request says what is wrong with it
    // even for an unknown symbol (planned against the finest base interval then).
    const base = instrument ? baseSpec(instrument) : INTERVALS['1m'];
    const planned = planCandleRead(
      base,
      { interval: query.interval, fromMs: query.from.getTime(), toMs: query.to.getTime(), maxPoints: query.maxPoints ?? null, aggregatesFresh: !instrument || aggregatesFresh(instrument) },
      cap,
    );
    if (!planned.ok) throw new ValidationError(planned.issues);
    if (!instrument) throw new InstrumentNotFoundError(query.symbol);
    const { plan } = planned;
    const tooLong = rangeLengthIssue(sourceSpec(plan.source, base), query.from.getTime(), query.to.getTime(), this.deps.config.maxRangeBars);
    if (tooLong) throw new ValidationError([tooLong]);
    const candles = await findCandleColumns(this.deps.db.pool, {
      instrumentId: instrument.id,
      source: plan.source,
      intervalSql: plan.interval.sql,
      fromMs: query.from.getTime(),
      toMs: query.to.getTime(),
      regroup: plan.regroup,
      limit: cap,
    });
    return {
      symbol: instrument.symbol,
      interval: plan.interval.name,
      source: plan.source,
      candles,
      range: { spec: plan.interval, fromMs: query.from.getTime(), toMs: query.to.getTime() },
    };
  }

  /** The instrument with that symbol, or null. */
  findInstrument(symbol: string, query?: InstrumentQuery) {
    return this.deps.instruments.findBySymbol(symbol, query);
  }

  /** The instrument with that id (it must exist: ids come from our own rows). */
  getInstrumentById(id: number, query?: InstrumentQuery) {
    return this.deps.instruments.getById(id, query);
  }

  /**
   * A page of instruments by symbol; `search` matches a prefix of the symbol, or of the name
   * ignoring case.
   * @throws ValidationError for a search over 64 characters.
   */
  listInstruments(search: string | null | undefined, query: Parameters<InstrumentRepository['list']>[1]) {
    return this.deps.instruments.list(instrumentSearchFilter(search), query);
  }

  countInstruments(): Promise<number> {
    return this.deps.instruments.count();
  }

  /** What a run needs of an instrument (id, base interval, data version), or null. */
  findInstrumentRef(symbol: string): Promise<InstrumentRef | null> {
    return this.deps.instruments.findRefBySymbol(symbol);
  }

  listInstrumentRefs(symbols: readonly string[]): Promise<InstrumentRef[]> {
    return this.deps.instruments.listRefsBySymbols(symbols);
  }

  /** Why candles of `instrument` cannot be read at `interval` over [from, to) for a backtest; [] when they can. */
  checkRunRange(instrument: Pick<InstrumentRef, 'baseInterval'>, interval: string, from: Date, to: Date): ValidationIssue[] {
    const planned = planCandleRead(baseSpec(instrument), { interval, fromMs: from.getTime(), toMs: to.getTime(), maxPoints: null });
    if (!planned.ok) return planned.issues;
    // Backtests read the raw bars (their columnar blocks), whatever the interval.
    const tooLong = rangeLengthIssue(baseSpec(instrument), from.getTime(), to.getTime(), this.deps.config.maxRangeBars);
    return tooLong ? [tooLong] : [];
  }

  /** Does the instrument have a stored candle in [from, to) — from inclusive, to exclusive? */
  hasCandlesInHalfOpenRange(instrumentId: number, from: Date, to: Date): Promise<boolean> {
    return hasCandlesInHalfOpenRange(this.deps.db.pool, instrumentId, from.getTime(), to.getTime());
  }

  /**
   * Candles of many instruments for backtests at `interval`, in [from, to): one statement
   * for their base intervals, then one per BATCH_FETCH_SYMBOLS instruments — never one per
   * instrument. Raw bars come from the columnar blocks (regrouped in memory when the interval
   * is coarser); intervals the aggregates serve come from candle_1h / candle_1d. Columns are
   * on SharedArrayBuffers (engine threads read them without a copy). Only time and the price
   * columns in `columns` are read (the engine's candleColumnsRead): the others are NaN.
   * `onLoaded` gets each instrument's candles as soon as they are complete — from the cache
   * at once, from the blocks while later instruments are still being read — so runs can
   * start before the whole read is done. Instruments without candles in the range are
   * absent from the map.
   * @throws ValidationError when the interval cannot be served for an instrument's base interval.
   */
  async loadCandlesForRuns(
    instrumentIds: readonly number[],
    interval: string,
    from: Date,
    to: Date,
    options: { columns?: readonly string[]; onLoaded?: (instrumentId: number, candles: Candles) => void } = {},
  ): Promise<Map<number, Candles>> {
    this.reads.begin();
    const readFromDatabase: ReadFromDatabase[] = [];
    try {
      return await this.readCandlesForRuns(instrumentIds, interval, from, to, options, readFromDatabase);
    } finally {
      this.reads.end();
      if (readFromDatabase.length && this.deps.cache.shared) this.shareWhenIdle(readFromDatabase);
    }
  }

  /**
   * Copies what this process read from the database to the shared level and tells the other
   * processes, once it neither reads candles nor runs backtests and no other process runs
   * any (a cold batch's chunks run on every worker) — or after SHARE_AT_LATEST_MS of waiting.
   * Encoding ≈ 1 MB a series and sending it to Redis, and Redis taking it in, cost as much
   * CPU as the read itself: done during a cold batch on the same cores, they
   * delayed it by seconds (docs/performance.md). Other processes meanwhile read those ranges
   * from the database, as they would have before the first batch finished.
   */
  private shareWhenIdle(read: readonly ReadFromDatabase[]): void {
    const task: Promise<void> = (async () => {
      if (this.deps.engine) {
        // Whichever ends first stops the other (a wait for idleness must not outlive its cap),
        // and so does close().
        const stop = new AbortController();
        this.closing.signal.addEventListener('abort', () => stop.abort(), { once: true, signal: stop.signal });
        await Promise.race([this.untilIdle(stop.signal), sleep(SHARE_AT_LATEST_MS, undefined, { ref: false, signal: stop.signal }).catch(() => undefined)]);
        stop.abort();
        if (this.closing.signal.aborted) return; // a cache: what is not copied is read again
      }
      for (const r of read) this.deps.cache.share(r.key, r.candles, r.rangeEndMs);
      await this.announceCached(read.map((r) => r.key));
    })()
      .catch((error: unknown) => this.deps.logger.debug({ err: error }, 'candle cache: sharing read ranges failed'))
      .finally(() => this.sharing.delete(task));
    this.sharing.add(task);
  }

  private async readCandlesForRuns(
    instrumentIds: readonly number[],
    interval: string,
    rangeFrom: Date,
    rangeTo: Date,
    options: { columns?: readonly string[]; onLoaded?: (instrumentId: number, candles: Candles) => void },
    readFromDatabase: ReadFromDatabase[],
  ): Promise<Map<number, Candles>> {
    // Whole bars only: a range that cuts a bar's interval would hand the engine a bar holding
    // part of it (issue 13, finding 6). An interval the plan cannot serve is refused below.
    const spec = (INTERVALS as Record<string, IntervalSpec | undefined>)[interval];
    const { fromMs, toMs } = spec ? wholeBuckets(spec, rangeFrom.getTime(), rangeTo.getTime()) : { fromMs: rangeFrom.getTime(), toMs: rangeTo.getTime() };
    if (toMs <= fromMs) return new Map();
    const from = new Date(fromMs);
    const to = new Date(toMs);
    const fields = options.columns ? fieldSetOf(options.columns) : PRICE_FIELDS;
    const instruments = await this.deps.instruments.listRefsByIds(instrumentIds);
    // One read per plan: instruments are grouped by base interval and the relation the plan
    // reads. Freshness of the aggregates matters only where a plan would read them — at the
    // base interval every instrument reads its blocks, whether or not its aggregates have
    // caught up with its last ingest.
    const byBase = new Map<string, InstrumentRef[]>();
    for (const i of instruments) {
      const planned = planCandleRead(baseSpec(i), { interval, fromMs, toMs, maxPoints: null, aggregatesFresh: aggregatesFresh(i) });
      if (!planned.ok) throw new ValidationError(planned.issues);
      const group = `${i.baseInterval}:${planned.plan.source}`;
      byBase.set(group, [...(byBase.get(group) ?? []), i]);
    }
    const out = new Map<number, Candles>();
    const loaded = (id: number, candles: Candles) => {
      out.set(id, candles);
      options.onLoaded?.(id, candles);
    };
    for (const group of byBase.values()) {
      const planned = planCandleRead(baseSpec(group[0]!), { interval, fromMs, toMs, maxPoints: null, aggregatesFresh: aggregatesFresh(group[0]!) });
      if (!planned.ok) throw new ValidationError(planned.issues);
      const { plan } = planned;
      const keys = new Map(group.map((i) => [i.id, candleKey(i, interval, fromMs, toMs, fields)]));
      const cached = await this.deps.cache.getMany([...keys.values()]);
      const missing = group.filter((i) => !cached.has(keys.get(i.id)!));
      for (const i of group) {
        const hit = cached.get(keys.get(i.id)!);
        if (hit) loaded(i.id, hit.candles);
        this.rememberRange(i.id, interval, fromMs, toMs, fields);
      }
      const complete = (id: number, candles: SharedCandles) => {
        this.deps.cache.put(keys.get(id)!, candles);
        readFromDatabase.push({ key: keys.get(id)!, candles, rangeEndMs: toMs });
        loaded(id, candles.candles);
      };
      for (let k = 0; k < missing.length; k += BATCH_FETCH_SYMBOLS) {
        const part = missing.slice(k, k + BATCH_FETCH_SYMBOLS);
        if (plan.source === 'raw') await this.readBlocks(part, plan, fields, from, to, complete);
        else for (const [id, candles] of await this.readAggregates(part, plan, from, to)) complete(id, candles);
      }
    }
    return out;
  }

  /**
   * Caches the given ranges (in the background of a start, or after an ingest): one read per
   * range and chunk of instruments, as backtests read them. Returns how many series were cached.
   */
  async warmCandles(ranges: readonly CandleRange[]): Promise<number> {
    const byRange = new Map<string, { interval: string; from: Date; to: Date; columns: readonly string[] | undefined; ids: number[] }>();
    for (const r of ranges) {
      const key = `${r.interval}:${r.from.getTime()}:${r.to.getTime()}:${r.columns ? fieldSetCode(fieldSetOf(r.columns)) : '*'}`;
      if (!byRange.has(key)) byRange.set(key, { interval: r.interval, from: r.from, to: r.to, columns: r.columns, ids: [] });
      byRange.get(key)!.ids.push(r.instrumentId);
    }
    let cached = 0;
    for (const r of byRange.values()) cached += (await this.loadCandlesForRuns(r.ids, r.interval, r.from, r.to, { columns: r.columns })).size;
    return cached;
  }

  /** Hits and misses of the candle cache, per level. */
  candleCacheStats(): CandleCacheStats {
    return this.deps.cache.stats();
  }

  /** Resolves once the candle cache's writes to its shared level (deferred ones included) have landed. */
  async candleCacheSettled(): Promise<void> {
    await Promise.all([...this.sharing]);
    await this.deps.cache.settled();
  }

  private rememberRange(instrumentId: number, interval: string, fromMs: number, toMs: number, fields: FieldSet): void {
    let ranges = this.recentRanges.get(instrumentId);
    if (!ranges) {
      if (this.recentRanges.size >= RECENT_INSTRUMENTS) this.recentRanges.delete(this.recentRanges.keys().next().value!);
      ranges = new Map();
      this.recentRanges.set(instrumentId, ranges);
    }
    const key = `${interval}:${fromMs}:${toMs}:${fieldSetCode(fields)}`;
    ranges.delete(key);
    ranges.set(key, { interval, fromMs, toMs, fields });
    if (ranges.size > RECENT_RANGES) ranges.delete(ranges.keys().next().value!);
  }

  /**
   * Keeps this process's candle cache warm: after every ingest (in any process), the ranges
   * this process read of that instrument are cached again at its new data version, in the
   * background. For processes that run backtests.
   */
  async keepCacheWarm(): Promise<{ close(): Promise<void> }> {
    const ingests = await this.deps.pubsub.listen('candles.ingested');
    void (async () => {
      for await (const { instrumentId } of ingests) await this.warmRecentRanges(instrumentId);
    })();
    if (!this.deps.cache.shared || !this.deps.peerFill || !this.deps.engine) return ingests;
    const cachedElsewhere = await this.deps.pubsub.listen('candles.cached');
    void (async () => {
      for await (const { origin, keys } of cachedElsewhere) if (origin !== this.origin) await this.peerFill(keys);
    })();
    return { close: async () => void (await Promise.all([ingests.close(), cachedElsewhere.close()])) };
  }

  /**
   * Resolves once this process reads no candles for runs and (when it says) runs no backtests,
   * or once `signal` (default: this service closing) is aborted.
   */
  private async untilIdle(signal = this.closing.signal): Promise<void> {
    // Either wait may let the other kind of work start: done only when neither had to wait.
    while (!signal.aborted && ((await this.reads.whenIdle()) || (await this.deps.engine?.whenIdle(signal))));
  }

  /** Tells the other processes which ranges this one put in the shared cache, once they have landed there. */
  private async announceCached(keys: string[]): Promise<void> {
    await this.deps.cache.settled();
    await this.deps.pubsub.publish('candles.cached', { origin: this.origin, keys });
  }

  /**
   * Copies ranges another process cached from the shared level into this one's L1 — while
   * this process neither reads candles nor runs backtests, a chunk at a time, so it never
   * slows a batch; a failure only leaves them uncached.
   */
  private async peerFill(keys: readonly string[]): Promise<void> {
    try {
      for (let k = 0; k < keys.length; k += BATCH_FETCH_SYMBOLS) {
        await this.untilIdle();
        await this.deps.cache.getMany(keys.slice(k, k + BATCH_FETCH_SYMBOLS));
      }
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'candle cache fill from another process failed');
    }
  }

  /** After an ingest: the instrument's recently read ranges, cached again at its new data version. */
  private async warmRecentRanges(instrumentId: number): Promise<void> {
    const ranges = [...(this.recentRanges.get(instrumentId)?.values() ?? [])];
    if (ranges.length === 0) return;
    try {
      const warmed = await this.warmCandles(ranges.map((r) => ({ instrumentId, interval: r.interval, from: new Date(r.fromMs), to: new Date(r.toMs), columns: r.fields })));
      this.deps.logger.debug({ instrumentId, ranges: ranges.length, warmed }, 'candle cache warmed after ingest');
    } catch (error) {
      this.deps.logger.warn({ err: error, instrumentId }, 'candle cache warming after ingest failed');
    }
  }

  /**
   * Raw bars from the columnar blocks (one statement), regrouped when the plan says so;
   * `complete` gets each instrument's candles as soon as its last block is read.
   */
  private async readBlocks(
    instruments: readonly InstrumentRef[],
    plan: CandlePlan,
    fields: FieldSet,
    from: Date,
    to: Date,
    complete: (instrumentId: number, candles: SharedCandles) => void,
  ): Promise<void> {
    const fromMs = from.getTime();
    const toMs = to.getTime();
    const base = baseSpec(instruments[0]!);
    // Base intervals are fixed widths (ingest takes no calendar months as a base).
    if (base.ms === null) throw new Error(`base interval ${base.name} has no fixed width`);
    // At most one bar per base step: columns sized once (capped; longer series grow).
    const capacity = Math.min(countBuckets(base, fromMs, toMs), 1 << 16);
    const assembler = new BlockAssembler(fromMs, toMs, fields, base.ms, () => capacity, (id, bars) => complete(id, plan.regroup ? regroupCandles(bars, plan.interval) : bars));
    await findCandleBlocks(this.deps.db.pool, { instrumentIds: instruments.map((i) => i.id), fromMs, toMs, fields, stepMs: base.ms }, (row) => assembler.add(row));
    assembler.finish();
  }

  /** Bars of the interval from candle_1h / candle_1d (one statement), as shared columns. */
  private async readAggregates(instruments: readonly InstrumentRef[], plan: CandlePlan, from: Date, to: Date): Promise<Map<number, SharedCandles>> {
    const rows = await findCandleColumnsMany(this.deps.db.pool, {
      instrumentIds: instruments.map((i) => i.id),
      source: plan.source,
      intervalSql: plan.interval.sql,
      fromMs: from.getTime(),
      toMs: to.getTime(),
      regroup: plan.regroup,
      expectedRows: countBuckets(plan.interval, from.getTime(), to.getTime()),
    });
    return new Map([...rows].map(([id, c]) => [id, toSharedCandles(c)]));
  }

  /**
   * Summary rows for `symbols` (all instruments when null), by symbol; unknown symbols are left out.
   * @throws ValidationError for malformed symbols or more than 1000 of them.
   */
  async listMarketSummaries(symbols: readonly string[] | null): Promise<MarketSummaryRow[]> {
    if (symbols === null) return findMarketSummaries(this.deps.db.pool, null);
    const issues = symbols.flatMap((s, i) => (SYMBOL_PATTERN.test(s) ? [] : [{ path: ['symbols', String(i)], message: `${JSON.stringify(s)} is not a valid symbol` }]));
    if (symbols.length > 1000) issues.push({ path: ['symbols'], message: 'at most 1000 symbols' });
    if (issues.length) throw new ValidationError(issues);
    const instruments = await this.deps.instruments.listRefsBySymbols(symbols);
    if (instruments.length === 0) return [];
    return findMarketSummaries(this.deps.db.pool, instruments.map((i) => i.id));
  }

  /**
   * Top gainers or losers over a window.
   * @throws ValidationError when limit is outside 1..100.
   */
  listTopMovers(window: MoverWindow, direction: 'DESC' | 'ASC', limit: number): Promise<MarketSummaryRow[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new ValidationError([{ path: ['limit'], message: 'must be a whole number from 1 to 100' }]);
    }
    return findTopMovers(this.deps.db.pool, window, direction, limit);
  }

  /** Latest candle of each instrument, in the order of `ids` (null: none yet). One statement. */
  async listLatestCandles(ids: readonly number[]): Promise<Array<CandleRow | null>> {
    const found = await findLatestCandles(this.deps.db.pool, ids);
    return ids.map((id) => found.get(id) ?? null);
  }

  /** Summary of each instrument, in the order of `ids` (null: no candles yet). One statement. */
  async listSummariesById(ids: readonly number[]): Promise<Array<MarketSummaryRow | null>> {
    const rows = await findMarketSummaries(this.deps.db.pool, ids);
    const byId = new Map(rows.map((r) => [r.instrumentId, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Sparkline of each instrument, in the order of `ids` (empty: no candles yet). One statement. */
  async listSparklines(ids: readonly number[]): Promise<number[][]> {
    const found = await findSparklines(this.deps.db.pool, ids);
    return ids.map((id) => found.get(id) ?? []);
  }

  /** Coverage (first/last bar, bars, gaps) of each instrument, in the order given. One statement. */
  async listCoverage(instruments: ReadonlyArray<{ id: number; baseInterval: string }>): Promise<Coverage[]> {
    const found = await findCoverage(
      this.deps.db.pool,
      instruments.map((i) => ({ id: i.id, stepMs: baseSpec(i).ms! })),
    );
    const empty = (id: number): CoverageRow => ({ instrumentId: id, firstMs: null, lastMs: null, present: 0, gaps: [] });
    return instruments.map((i) => toCoverage(found.get(i.id) ?? empty(i.id), i.baseInterval));
  }
}

function baseSpec(instrument: Pick<InstrumentRef, 'baseInterval'>): IntervalSpec {
  return INTERVALS[instrument.baseInterval as IntervalName];
}

/** Earliest and latest candle time of a request (any order). */
function timeBounds(c: Candles): { minMs: number; maxMs: number } {
  let minMs = Infinity;
  let maxMs = -Infinity;
  for (let i = 0; i < c.time.length; i++) {
    if (c.time[i]! < minMs) minMs = c.time[i]!;
    if (c.time[i]! > maxMs) maxMs = c.time[i]!;
  }
  return { minMs, maxMs };
}

/** Candles of one instrument share one resolution: checked under the row lock, where a concurrent first ingest is visible. */
function assertSameBaseInterval(instrument: LockedInstrument, baseInterval: string): void {
  if (instrument.baseInterval !== baseInterval) {
    throw new ValidationError([
      { path: ['baseInterval'], message: `${instrument.symbol} is stored at ${instrument.baseInterval}; candles at ${baseInterval} cannot be mixed in` },
    ]);
  }
}

/** Prisma filter for instruments(search:): a prefix of the symbol, or of the name ignoring case. */
function instrumentSearchFilter(search: string | null | undefined): Prisma.InstrumentWhereInput {
  if (search === null || search === undefined || search.trim() === '') return {};
  const s = search.trim();
  if (s.length > 64) throw new ValidationError([{ path: ['search'], message: 'must be at most 64 characters' }]);
  // Prisma's startsWith is a LIKE: % and _ in the text would be patterns ("%" matched every
  // instrument). Escaped with LIKE's default escape character, they are text.
  const text = s.replace(/[\\%_]/g, '\\$&');
  return { OR: [{ symbol: { startsWith: text.toUpperCase() } }, { name: { startsWith: text, mode: 'insensitive' } }] };
}
