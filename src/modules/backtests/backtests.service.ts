import type { BacktestConfig } from '../../config/env.js';
import { candleColumnsRead, type RunConfig } from '../../engine/index.js';
import type { Backtest, BacktestBatch, BacktestStatus, Prisma } from '../../generated/prisma/client.js';
import type { JobName, JobPayload } from '../../jobs/catalog.js';
import type { JobQueue } from '../../jobs/queue.js';
import { NotFoundError, RateLimitedError, ValidationError, type ValidationIssue } from '../../lib/errors.js';
import { isUuid } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import type { Viewer } from '../accounts/access.js';
import type { InstrumentRef, MarketDataService } from '../market-data/market-data.service.js';
import type { StrategiesService, StrategyDefinition } from '../strategies/strategies.service.js';
import { NoDataError, QueueUnavailableError } from './backtests.errors.js';
import type { BacktestBatchQuery, BacktestQuery, BacktestsRepository, NewBacktest } from './backtests.repository.js';
import type { BacktestsStore, NewRunRow, StoredResult } from './backtests.store.js';
import type { BacktestRunService } from './backtest-runs.service.js';
import { checkRunRange, runCacheKey, runConfigOf, type RunRequest } from './run-request.js';

export interface BacktestsDeps {
  repository: BacktestsRepository;
  store: Pick<BacktestsStore, 'listPopularRanges' | 'findCompletedRuns' | 'createCachedRun' | 'listResults' | 'insertBatch'>;
  /** Closes a batch every child of which was answered from the result cache. */
  runs: Pick<BacktestRunService, 'closeBatchIfDone'>;
  strategies: StrategiesService;
  marketData: MarketDataService;
  queue: JobQueue;
  /** Submissions per API key (runBacktest and runBacktestBatch count one each). */
  submissions: { consume(key: string): Promise<number | null> };
  logger: Logger;
  config: BacktestConfig;
  now?: () => Date;
}

/** RunBacktestInput. */
export interface RunBacktestInput extends RunRequest {
  symbol: string;
}

/** RunBacktestBatchInput. */
export interface RunBatchInput extends RunRequest {
  symbols: string[];
}

export interface BacktestFilter {
  status?: BacktestStatus | null;
  symbol?: string | null;
  strategyId?: string | null;
}

/**
 * Backtests as clients ask for them: submitting runs and batches (validated, authorised,
 * answered from the result cache or queued) and reading them. Running them is
 * BacktestRunService's; this service only creates their rows and enqueues their jobs.
 */
export class BacktestsService {
  private readonly now: () => Date;

  constructor(private readonly deps: BacktestsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Counts a submission against the caller's key before any work: every attempt counts, a
   * refused one too (refusing costs the server work as well).
   * @throws RateLimitedError over RATE_LIMIT_SUBMISSIONS_PER_MINUTE.
   */
  private async countSubmission(viewer: Viewer): Promise<void> {
    const waitMs = await this.deps.submissions.consume(viewer.apiKeyId ?? viewer.owner);
    if (waitMs !== null) throw new RateLimitedError('backtest submissions', Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /**
   * Validates and queues one backtest, returning it at once: QUEUED, or COMPLETED with
   * fromCache when an identical run on the same data version already finished.
   * Nothing is created or enqueued on any error.
   * @throws ValidationError, NotFoundError (strategy or symbol), NoDataError, QueueUnavailableError.
   */
  async submitBacktest(viewer: Viewer, input: RunBacktestInput): Promise<Backtest> {
    await this.countSubmission(viewer);
    const issues: ValidationIssue[] = [];
    checkRunRange(input, issues);
    const config = runConfigOf(input, issues);
    if (issues.length) throw new ValidationError(issues);
    // Both lookups at once (an identical run is answered in as few round trips as it can be);
    // the strategy's error, when both fail, is the one reported.
    const [strategyLookup, instrumentLookup] = await Promise.allSettled([
      this.deps.strategies.getRunnableStrategy(viewer, input.strategyId),
      this.deps.marketData.findInstrumentRef(input.symbol),
    ]);
    if (strategyLookup.status === 'rejected') throw strategyLookup.reason;
    if (instrumentLookup.status === 'rejected') throw instrumentLookup.reason;
    const [strategy, instrument] = [strategyLookup.value, instrumentLookup.value];
    if (!instrument) throw new NotFoundError('Instrument', input.symbol);
    const rangeIssues = this.deps.marketData.checkRunRange(instrument, input.interval, input.from, input.to);
    if (rangeIssues.length) throw new ValidationError(rangeIssues);

    const data = newRun(viewer, strategy, instrument, input, config);
    // A result of the same computation on the same data (the key carries the data version, so
    // its candles are there): answer with it, run nothing.
    const cached = await this.deps.store.createCachedRun(data, this.now());
    if (cached) return cached;
    if (!(await this.deps.marketData.hasCandlesInHalfOpenRange(instrument.id, input.from, input.to))) throw new NoDataError(input.symbol, input.from, input.to);
    const backtest = await this.deps.repository.createRun(data);
    await this.enqueueOrUndo('backtest.run', { backtestId: backtest.id }, () => this.deps.repository.deleteRun(backtest.id));
    return backtest;
  }

  /**
   * Queues one strategy over many symbols as a batch: children identical to finished runs
   * (same identity as runBacktest's result cache) are COMPLETED at once from them, the rest
   * created QUEUED and run by the batch's jobs (see BacktestRunService.runBatch); a batch
   * every child of which is cached completes at once, without a job.
   * @throws ValidationError (including unknown symbols, listed), NotFoundError (strategy), QueueUnavailableError.
   */
  async submitBatch(viewer: Viewer, input: RunBatchInput): Promise<BacktestBatch> {
    await this.countSubmission(viewer);
    const issues: ValidationIssue[] = [];
    checkRunRange(input, issues);
    const config = runConfigOf(input, issues);
    const max = this.deps.config.maxBatchSymbols;
    const symbols = [...new Set(input.symbols)];
    if (symbols.length === 0) issues.push({ path: ['symbols'], message: 'must name at least one symbol' });
    if (symbols.length > max) issues.push({ path: ['symbols'], message: `at most ${max} symbols per batch (BACKTEST_MAX_BATCH_SYMBOLS); got ${symbols.length}` });
    if (symbols.length !== input.symbols.length) issues.push({ path: ['symbols'], message: 'contains duplicates' });
    if (issues.length) throw new ValidationError(issues);
    const strategy = await this.deps.strategies.getRunnableStrategy(viewer, input.strategyId);
    const instruments = await this.deps.marketData.listInstrumentRefs(symbols);
    const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
    symbols.forEach((s, i) => {
      if (!bySymbol.has(s)) issues.push({ path: ['symbols', String(i)], message: `unknown symbol ${JSON.stringify(s)}` });
    });
    for (const instrument of instruments) {
      const problem = this.deps.marketData.checkRunRange(instrument, input.interval, input.from, input.to)[0];
      if (problem) issues.push({ path: ['interval'], message: `${instrument.symbol}: ${problem.message}` });
    }
    if (issues.length) throw new ValidationError(issues);

    // Children identical to finished runs are answered from them at once; the batch runs the rest.
    const children = symbols.map((symbol) => newRun(viewer, strategy, bySymbol.get(symbol)!, input, config));
    const cached = await this.deps.store.findCompletedRuns(children.map((c) => c.cacheKey));
    const allCached = cached.size === children.length; // symbols are distinct, and so are their identities
    const batchId = await this.deps.store.insertBatch({
      owner: viewer.owner,
      strategyId: strategy.id,
      strategyKind: strategy.kind,
      parameters: strategy.parameters,
      interval: input.interval,
      from: input.from,
      to: input.to,
      config: runConfigJson(config),
      children: children.map((c) => ({ instrumentId: c.instrumentId, symbol: c.symbol, cacheKey: c.cacheKey, cached: cached.get(c.cacheKey) ?? null })),
      now: this.now(),
    });
    if (allCached) await this.deps.runs.closeBatchIfDone(batchId);
    else await this.enqueueOrUndo('backtest.batch', { batchId }, () => this.deps.repository.deleteBatch(batchId));
    return (await this.deps.repository.findBatch(batchId))!;
  }

  /** The backtest when the viewer may see it, else null (also for ids that are not UUIDs). */
  findBacktest(viewer: Viewer, id: string, query?: Pick<BacktestQuery, 'include' | 'select'>): Promise<Backtest | null> {
    return this.deps.repository.findVisibleRun(viewer, id, query);
  }

  /** The batch when the viewer may see it, else null. */
  findBatch(viewer: Viewer, id: string, query?: Pick<BacktestBatchQuery, 'include' | 'select'>): Promise<BacktestBatch | null> {
    return this.deps.repository.findVisibleBatch(viewer, id, query);
  }

  /** A page of the viewer's backtests, newest first. Filter ids that are not UUIDs match nothing. */
  listBacktests(viewer: Viewer, filter: BacktestFilter, query: BacktestQuery): Promise<Backtest[]> {
    if (filter.strategyId && !isUuid(filter.strategyId)) return Promise.resolve([]);
    return this.deps.repository.listVisibleRuns(
      viewer,
      {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.symbol ? { symbol: filter.symbol } : {}),
        ...(filter.strategyId ? { strategyId: filter.strategyId } : {}),
      },
      query,
    );
  }

  /** A page of the viewer's batches, newest first. A strategy id that is not a UUID matches nothing. */
  listBatches(viewer: Viewer, filter: Omit<BacktestFilter, 'symbol'>, query: BacktestBatchQuery): Promise<BacktestBatch[]> {
    if (filter.strategyId && !isUuid(filter.strategyId)) return Promise.resolve([]);
    return this.deps.repository.listVisibleBatches(
      viewer,
      { ...(filter.status ? { status: filter.status } : {}), ...(filter.strategyId ? { strategyId: filter.strategyId } : {}) },
      query,
    );
  }

  /**
   * The packed trades and equity curves of finished backtests (result-columns.ts), in the
   * order of `ids` — for fields of backtests the caller was already allowed to read.
   */
  listResults(ids: readonly string[]): Promise<Array<StoredResult | null>> {
    return this.deps.store.listResults(ids);
  }

  /**
   * Caches the candles of the most backtested ranges of the `instruments` most run
   * instruments (on start of a process that runs backtests). Returns how many series.
   */
  async warmPopularCandles(instruments: number): Promise<number> {
    if (instruments <= 0) return 0;
    const ranges = await this.deps.store.listPopularRanges(instruments);
    return this.deps.marketData.warmCandles(ranges.map(({ kind, ...range }) => ({ ...range, columns: candleColumnsRead(kind) })));
  }

  private async enqueueOrUndo<N extends JobName>(name: N, payload: JobPayload<N>, undo: () => Promise<unknown>): Promise<void> {
    try {
      await this.deps.queue.enqueue(name, payload);
    } catch (error) {
      await undo().catch(() => undefined);
      this.deps.logger.error({ err: error, job: name }, 'enqueue failed');
      throw new QueueUnavailableError(this.deps.queue.mode === 'bullmq' ? 'the job queue (Redis) is unreachable' : 'the queue is closed');
    }
  }
}

/** The row of a new run (QUEUED), with its result-cache identity. */
function newRun(viewer: Viewer, strategy: StrategyDefinition, instrument: InstrumentRef, request: RunRequest, config: RunConfig): NewBacktest & NewRunRow {
  return {
    owner: viewer.owner,
    strategyId: strategy.id,
    strategyKind: strategy.kind,
    parameters: strategy.parameters,
    instrumentId: instrument.id,
    symbol: instrument.symbol,
    interval: request.interval,
    from: request.from,
    to: request.to,
    config: runConfigJson(config),
    cacheKey: runCacheKey({
      kind: strategy.kind,
      params: strategy.parameters,
      symbol: instrument.symbol,
      interval: request.interval,
      from: request.from,
      to: request.to,
      config,
      dataVersion: instrument.dataVersion,
    }),
  };
}

/** A run configuration as the JSON column stores it (plain numbers, strings, booleans). */
function runConfigJson(config: RunConfig): Prisma.InputJsonObject {
  return { ...config };
}
