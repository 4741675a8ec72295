import pLimit from 'p-limit';
import type { Database } from '../../db/pool.js';
import { withTransaction } from '../../db/transaction.js';
import type { Candles } from '../../engine/index.js';
import type { Listener, PubSub } from '../../events/pubsub.js';
import type { Backtest } from '../../generated/prisma/client.js';
import type { Attempt, JobQueue } from '../../jobs/queue.js';
import { DomainError, NotFoundError } from '../../lib/errors.js';
import { isUuid } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import type { EngineOutcome, EngineRunner } from '../../threads/engine-pool.js';
import { ownerFilter, type Viewer } from '../accounts/access.js';
import { BATCH_FETCH_SYMBOLS, type MarketDataService } from '../market-data/market-data.service.js';
import type { StrategiesService, StrategyDefinition } from '../strategies/strategies.service.js';
import { BacktestFailedError, BacktestFinishedError } from './backtests.errors.js';
import { backtestStateEvent, batchStateEvent, isTerminal, type BacktestProgressEvent, type BacktestTopics, type BatchProgressEvent } from './backtests.events.js';
import type { BacktestsRepository } from './backtests.repository.js';
import type { BacktestsStore, BatchRow, RunEnd, RunResult, RunRow } from './backtests.store.js';

/** Progress events per backtest: at most 5 a second, plus the first and the last. */
const PROGRESS_EVENT_MS = 200;
/** Progress written to the row at most once a second (readers poll less than dashboards). */
const PROGRESS_WRITE_MS = 1_000;
/** Stored equity curve points (the API downsamples further on request). */
const MAX_EQUITY_POINTS = 2_000;
/** How long cancelBacktest waits for a running backtest to confirm it stopped. */
const CANCEL_WAIT_MS = 2_000;
/**
 * Chunks of a batch in flight at once: one is fetched while the other runs, so engine
 * threads never wait for data, and at most two chunks' candles are in memory.
 */
const CHUNKS_IN_FLIGHT = 2;

export interface BacktestRunDeps {
  repository: BacktestsRepository;
  store: BacktestsStore;
  db: Database;
  strategies: StrategiesService;
  marketData: MarketDataService;
  engine: EngineRunner;
  pubsub: PubSub<BacktestTopics>;
  queue: JobQueue;
  logger: Logger;
  now?: () => Date;
}

/** A run's outcome, ready to be written: a result, or how it ended without one. */
type Settled = { run: RunRow; outcome: EngineOutcome | { type: 'no-data' } };

/**
 * The one owner of a backtest run's life (DESIGN.md §5): claim, progress, completion,
 * failure, cancellation, requeue and recovery, for single runs and for batches — which run
 * as a unit of their own: the strategy loaded once, children claimed, fetched and written
 * per chunk with a fixed number of statements, batch counters and summary — and the events
 * all of this publishes, with the streams subscribers read them from. Every state write of
 * `backtest` and `backtest_batch` after creation happens here.
 */
export class BacktestRunService {
  private readonly now: () => Date;
  /** Cancel functions of the runs executing in this process, by backtest id. */
  private readonly running = new Map<string, () => void>();

  constructor(private readonly deps: BacktestRunDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  // ── Single runs ─────────────────────────────────────────────────────────────────────────

  /**
   * Runs one backtest end to end (the `backtest.run` job). Idempotent by id: a finished run
   * is left alone, a re-run (stalled or retried job) rewrites the same rows.
   * @throws BacktestFailedError (a DomainError: never retried) when the engine rejects the
   *   input; any other error is an infrastructure failure the queue retries — the run goes
   *   back to QUEUED, or to FAILED on the last attempt.
   */
  async runBacktest(backtestId: string, attempt: Attempt): Promise<void> {
    const cancel = this.register(backtestId);
    try {
      const run = await this.deps.store.claimRun(backtestId, this.now());
      if (!run) return;
      await this.publishRun(backtestStateEvent(run, this.now()));
      if (run.status === 'CANCELLED') return;
      try {
        const strategy = await this.deps.strategies.getDefinition(run.strategyId);
        const candles = (await this.deps.marketData.loadCandlesForRuns([run.instrumentId], run.interval, run.from, run.to)).get(run.instrumentId);
        const outcome = candles ? await this.execute(run, candles, strategy, cancel, this.progressReporter(run)) : ({ type: 'no-data' } as const);
        const settled = await this.settle([{ run, outcome }], null);
        if (settled.invalid.length) throw new BacktestFailedError(settled.invalid[0]!.message);
        if (settled.crashed.length) throw new Error(`engine crashed: ${settled.crashed[0]!.message}`);
      } catch (error) {
        if (error instanceof BacktestFailedError) throw error; // recorded by settle
        // Not retried: record why (e.g. the interval can no longer be served), then fail the job.
        if (error instanceof DomainError) await this.failRuns([run], error.message);
        else await this.retryOrFail([run], attempt);
        throw error;
      }
    } finally {
      this.running.delete(backtestId);
    }
  }

  // ── Batches ─────────────────────────────────────────────────────────────────────────────

  /**
   * Runs a batch (the `backtest.batch` job): the strategy is loaded once; children are
   * claimed, their candles fetched (one statement) and their results written (one
   * transaction of a few statements) per chunk of BATCH_FETCH_SYMBOLS; the engine runs
   * them on its threads meanwhile. Every finished child is announced on the batch topic;
   * the batch completes with its counters and summary. Idempotent: children finished by
   * an earlier, interrupted attempt are not run again.
   * @throws any infrastructure failure, after the other chunks finished (the queue retries).
   */
  async runBatch(batchId: string, attempt: Attempt): Promise<void> {
    const batch = await this.deps.store.claimBatch(batchId, this.now());
    if (!batch) return;
    const startedAt = batch.startedAt ?? this.now();
    const strategy = await this.deps.strategies.getDefinition(batch.strategyId);
    const pending = await this.deps.store.listUnfinishedChildren(batchId);
    let dataFetchMs = 0;

    const inFlight = pLimit(CHUNKS_IN_FLIGHT);
    const chunkRuns: Array<Promise<void>> = [];
    for (let i = 0; i < pending.length; i += BATCH_FETCH_SYMBOLS) {
      const ids = pending.slice(i, i + BATCH_FETCH_SYMBOLS).map((c) => c.id);
      chunkRuns.push(
        inFlight(async () => {
          const children = await this.deps.store.claimChildren(batchId, ids, this.now());
          try {
            dataFetchMs += await this.runChunk(batch, children, strategy);
          } catch (error) {
            // Children claimed but not written go back to QUEUED (or FAILED after the last attempt).
            await this.retryOrFail(children.filter((c) => c.status === 'RUNNING'), attempt);
            throw error;
          }
        }),
      );
    }
    const failure = (await Promise.allSettled(chunkRuns)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // After the last attempt every child has ended (retryOrFail): the batch ends too, so it
    // never stays RUNNING; the job still reports the failure.
    if (!failure || attempt.isLast) await this.completeBatch(batch, startedAt, dataFetchMs);
    if (failure) throw failure.reason;
  }

  /**
   * One chunk of a batch: its candles in one statement, its children on the engine threads,
   * their outcomes written in one transaction. Returns the time spent fetching candles.
   * @throws when an engine thread crashed on a child (written as nothing: the caller retries it).
   */
  private async runChunk(batch: BatchRow, children: readonly RunRow[], strategy: StrategyDefinition): Promise<number> {
          const runnable = children.filter((c) => c.status === 'RUNNING');
          const fetchStarted = performance.now();
          const candles = await this.deps.marketData.loadCandlesForRuns(runnable.map((c) => c.instrumentId), batch.interval, batch.from, batch.to);
          const fetchMs = performance.now() - fetchStarted;
          const outcomes = await Promise.all(
            children.map(async (run): Promise<Settled> => {
              if (run.status === 'CANCELLED') return { run, outcome: { type: 'cancelled', barsProcessed: 0 } };
              const series = candles.get(run.instrumentId);
              candles.delete(run.instrumentId); // the engine thread takes the buffers; drop our reference
              if (!series) return { run, outcome: { type: 'no-data' } };
              const cancel = this.register(run.id);
              try {
                return { run, outcome: await this.execute(run, series, strategy, cancel, null) };
              } finally {
                this.running.delete(run.id);
              }
            }),
          );
          const settled = await this.settle(outcomes, batch);
          if (settled.crashed.length) throw new Error(`engine crashed on ${settled.crashed.length} children: ${settled.crashed[0]!.message}`);
          return fetchMs;
  }

  /** Counters and summary from the children as stored (self-correcting after retried attempts). */
  private async completeBatch(batch: BatchRow, startedAt: Date, dataFetchMs: number): Promise<void> {
    const children = await this.deps.store.listChildReturns(batch.id);
    const completed = children.filter((c) => c.status === 'COMPLETED');
    const returns = completed.filter((c): c is typeof c & { totalReturn: number } => c.totalReturn !== null).sort((a, b) => b.totalReturn - a.totalReturn);
    const finishedAt = this.now();
    const done = await this.deps.store.completeBatch(batch.id, {
      completed: completed.length,
      failed: children.length - completed.length,
      summary: {
        averageReturn: returns.length ? returns.reduce((s, r) => s + r.totalReturn, 0) / returns.length : null,
        best: returns[0] ? { symbol: returns[0].symbol, totalReturn: returns[0].totalReturn } : null,
        worst: returns.length ? { symbol: returns.at(-1)!.symbol, totalReturn: returns.at(-1)!.totalReturn } : null,
      },
      finishedAt,
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      dataFetchMs,
    });
    await this.publishBatch(batchStateEvent(done, null, finishedAt));
  }

  // ── Shared by both: executing, settling, retrying ───────────────────────────────────────

  /** Registers a run as executing in this process: a cancel request fires the returned switch. */
  private register(backtestId: string): CancelSwitch {
    const cancel = new CancelSwitch();
    this.running.set(backtestId, () => cancel.fire());
    return cancel;
  }

  private async execute(run: RunRow, candles: Candles, strategy: StrategyDefinition, cancel: CancelSwitch, progress: ProgressReporter | null): Promise<EngineOutcome> {
    const engineRun = this.deps.engine.run(
      {
        candles,
        strategy: { kind: strategy.kind, params: strategy.parameters },
        config: run.config,
        maxEquityPoints: MAX_EQUITY_POINTS,
        progressEvery: Math.max(1, Math.ceil(candles.time.length / 50)),
      },
      progress ? (bars, total, equity) => progress.report(bars, total, equity) : undefined,
    );
    cancel.attach(engineRun.cancel);
    try {
      return await engineRun.outcome;
    } finally {
      progress?.stop();
    }
  }

  /**
   * Writes the outcomes of runs in one transaction — results, failures and cancellations
   * set-based, and the batch counters when they are children — then announces each.
   * Crashed runs are not written: the caller retries or fails them.
   */
  private async settle(settled: readonly Settled[], batch: BatchRow | null): Promise<{ invalid: Array<{ run: RunRow; message: string }>; crashed: Array<{ run: RunRow; message: string }> }> {
    const finishedAt = this.now();
    const durationMs = (run: RunRow) => finishedAt.getTime() - (run.startedAt ?? finishedAt).getTime();
    const results: RunResult[] = [];
    const ends: RunEnd[] = [];
    const invalid: Array<{ run: RunRow; message: string }> = [];
    const crashed: Array<{ run: RunRow; message: string }> = [];
    const events: BacktestProgressEvent[] = [];
    for (const { run, outcome } of settled) {
      const base = { id: run.id, progress: run.progress, barsProcessed: run.barsProcessed, totalBars: run.totalBars };
      switch (outcome.type) {
        case 'done':
          results.push({ id: run.id, ...outcome, finishedAt, durationMs: durationMs(run) });
          events.push(
            backtestStateEvent({ ...base, status: 'COMPLETED', progress: 1, barsProcessed: outcome.barsProcessed, totalBars: outcome.totalBars, error: null }, finishedAt, {
              equity: outcome.equity.equity.at(-1) ?? null,
              etaSeconds: 0,
            }),
          );
          break;
        case 'cancelled':
          ends.push({ id: run.id, status: 'CANCELLED', error: null, barsProcessed: outcome.barsProcessed, finishedAt, durationMs: durationMs(run) });
          events.push(backtestStateEvent({ ...base, status: 'CANCELLED', barsProcessed: outcome.barsProcessed, error: null }, finishedAt));
          break;
        case 'invalid':
        case 'no-data': {
          const error = outcome.type === 'invalid' ? outcome.message : `no candles for ${run.symbol} in the range`;
          if (outcome.type === 'invalid') invalid.push({ run, message: error });
          ends.push({ id: run.id, status: 'FAILED', error, barsProcessed: run.barsProcessed, finishedAt, durationMs: durationMs(run) });
          events.push(backtestStateEvent({ ...base, status: 'FAILED', error }, finishedAt));
          break;
        }
        case 'crashed':
          crashed.push({ run, message: outcome.message });
          break;
      }
    }
    if (results.length + ends.length === 0) return { invalid, crashed };
    const counters = await withTransaction(this.deps.db.pool, async (client) => {
      await this.deps.store.writeOutcomes(client, results, ends);
      return batch ? this.deps.store.countChildren(client, batch.id, results.length, ends.length) : null;
    });
    for (const event of events) await this.publishRun(event);
    if (batch && counters) {
      // Counters as each child finished, in order: the chunk's were added at once.
      let completed = counters.completed - results.length;
      let failed = counters.failed - ends.length;
      for (const event of events) {
        if (event.status === 'COMPLETED') completed += 1;
        else failed += 1;
        await this.publishBatch(batchStateEvent({ ...counters, completed, failed }, event.backtestId, finishedAt));
      }
    }
    return { invalid, crashed };
  }

  /** After an infrastructure failure: back to QUEUED for the queue's next attempt, or FAILED after the last. */
  private async retryOrFail(runs: readonly RunRow[], attempt: Attempt): Promise<void> {
    try {
      if (!attempt.isLast) {
        await this.deps.store.requeue(runs.map((r) => r.id));
        return;
      }
      await this.failRuns(runs, 'internal error while running the backtest');
    } catch (error) {
      // The database may be what failed: the row stays as it is until the job's next attempt.
      this.deps.logger.warn({ err: error }, 'could not record a failed attempt');
    }
  }

  /** Ends runs as FAILED with `error`, and announces it. */
  private async failRuns(runs: readonly RunRow[], error: string): Promise<void> {
    if (runs.length === 0) return;
    const finishedAt = this.now();
    const ended = await this.deps.store.writeEnds(this.deps.db.pool, runs.map((r) => ({ id: r.id, status: 'FAILED', error, barsProcessed: r.barsProcessed, finishedAt, durationMs: null })));
    for (const run of runs) if (ended.has(run.id)) await this.publishRun(backtestStateEvent({ ...run, status: 'FAILED', error }, finishedAt));
  }

  private progressReporter(run: RunRow): ProgressReporter {
    return new ProgressReporter(
      run,
      (event) => this.publishRun(event),
      (progress, bars, total) => this.deps.store.writeProgress(run.id, progress, bars, total),
      this.now,
    );
  }

  // ── Cancellation and recovery ───────────────────────────────────────────────────────────

  /**
   * QUEUED → CANCELLED at once; RUNNING → the process running it is told to stop and the
   * call waits (≤ 2 s) for it to confirm; a finished backtest → BacktestFinishedError.
   * @throws NotFoundError (also for other owners' backtests), BacktestFinishedError.
   */
  async cancelBacktest(viewer: Viewer, id: string): Promise<Backtest> {
    const backtest = await this.getVisibleRun(viewer, id);
    if (isTerminal(backtest.status)) throw new BacktestFinishedError(backtest.status);
    if (await this.deps.repository.cancelQueued(backtest.id, this.now())) {
      if (!backtest.batchId) await this.deps.queue.remove('backtest.run', { backtestId: backtest.id });
      const row = (await this.deps.repository.findRun(backtest.id))!;
      await this.publishRun(backtestStateEvent(row, this.now()));
      return row;
    }
    // RUNNING: record the request (honoured even by a worker that picks the job up later),
    // then tell whichever process runs it, and wait for its confirmation.
    await this.deps.repository.requestCancel(backtest.id, this.now());
    const events = await this.deps.pubsub.listen('backtest', backtest.id);
    try {
      const stopped = (async () => {
        for await (const event of events) if (isTerminal(event.status)) return;
      })();
      await this.deps.pubsub.publish('backtests.cancel', { backtestId: backtest.id });
      await Promise.race([stopped, sleep(CANCEL_WAIT_MS)]);
    } finally {
      await events.close();
    }
    return (await this.deps.repository.findRun(backtest.id))!;
  }

  /** Aborts runs of this process when any API replica asks (cancelBacktest publishes the id). */
  async listenForCancellations(): Promise<{ close(): Promise<void> }> {
    const requests = await this.deps.pubsub.listen('backtests.cancel');
    void (async () => {
      for await (const { backtestId } of requests) this.running.get(backtestId)?.();
    })();
    return requests;
  }

  /**
   * In-process queue only: its jobs do not survive the process, so runs and batches still
   * QUEUED/RUNNING are queued again. Assumes this process is the only one running jobs on
   * its database — true of embedded mode; with several processes use Redis (BullMQ
   * recovers stalled jobs). Returns how many were queued.
   */
  async resumeUnfinished(): Promise<number> {
    const { batchIds, backtestIds } = await this.deps.repository.listUnfinished();
    for (const batchId of batchIds) await this.deps.queue.enqueue('backtest.batch', { batchId });
    for (const backtestId of backtestIds) await this.deps.queue.enqueue('backtest.run', { backtestId });
    return batchIds.length + backtestIds.length;
  }

  // ── Watching: the streams subscriptions read ────────────────────────────────────────────

  /** Current state first, then progress until a terminal status. @throws NotFoundError on subscribe. */
  async *watchProgress(viewer: Viewer, id: string): AsyncGenerator<BacktestProgressEvent> {
    let bars = 0;
    yield* this.watch(
      () => this.getVisibleRun(viewer, id),
      () => this.deps.pubsub.listen('backtest', id),
      async (current) => {
        bars = current.barsProcessed;
        return { items: [backtestStateEvent(current, this.now())], done: isTerminal(current.status) };
      },
      async (event) => {
        // A progress event older than the state already sent (published before it was read).
        if (event.status === 'RUNNING' && event.barsProcessed < bars) return { items: [], done: false };
        bars = Math.max(bars, event.barsProcessed);
        return { items: [event], done: isTerminal(event.status) };
      },
    );
  }

  /** Exactly one item: the finished backtest (at once if it already finished). @throws NotFoundError on subscribe. */
  async *watchCompletion(viewer: Viewer, id: string): AsyncGenerator<Backtest> {
    yield* this.watch(
      () => this.getVisibleRun(viewer, id),
      () => this.deps.pubsub.listen('backtest', id),
      async (current) => ({ items: isTerminal(current.status) ? [current] : [], done: isTerminal(current.status) }),
      async (event) => (isTerminal(event.status) ? { items: [(await this.deps.repository.findRun(id))!], done: true } : { items: [], done: false }),
    );
  }

  /** Current counters first, then one event per finished child, until the batch's terminal status. @throws NotFoundError on subscribe. */
  async *watchBatch(viewer: Viewer, id: string): AsyncGenerator<BatchProgressEvent> {
    yield* this.watch(
      async () => {
        const batch = isUuid(id) ? await this.deps.repository.findBatch(id, ownerFilter(viewer)) : null;
        if (!batch) throw new NotFoundError('BacktestBatch', id);
        return batch;
      },
      () => this.deps.pubsub.listen('batch', id),
      async (current) => ({ items: [batchStateEvent(current, null, this.now())], done: isTerminal(current.status) }),
      async (event) => ({ items: [event], done: isTerminal(event.status) }),
    );
  }

  /**
   * The shape of every subscription: authorise, listen to the topic BEFORE reading the
   * current state (nothing published in between is lost), send the state first (a late
   * subscriber, even after the end, still gets the terminal item), then follow events.
   */
  private async *watch<S, E, Y>(
    read: () => Promise<S>,
    listen: () => Promise<Listener<E>>,
    opening: (current: S) => Promise<{ items: Y[]; done: boolean }>,
    next: (event: E) => Promise<{ items: Y[]; done: boolean }>,
  ): AsyncGenerator<Y> {
    await read(); // authorises (NotFoundError) before anything is subscribed
    const listener = await listen();
    try {
      const first = await opening(await read());
      yield* first.items;
      if (first.done) return;
      for await (const event of listener) {
        const step = await next(event);
        yield* step.items;
        if (step.done) return;
      }
    } finally {
      await listener.close();
    }
  }

  private async getVisibleRun(viewer: Viewer, id: string): Promise<Backtest> {
    const backtest = isUuid(id) ? await this.deps.repository.findRun(id, ownerFilter(viewer)) : null;
    if (!backtest) throw new NotFoundError('Backtest', id);
    return backtest;
  }

  // ── Events: best effort (see events/pubsub.ts) ──────────────────────────────────────────

  private publishRun(event: BacktestProgressEvent): Promise<void> {
    return this.deps.pubsub.publish('backtest', event.backtestId, event);
  }

  private publishBatch(event: BatchProgressEvent): Promise<void> {
    return this.deps.pubsub.publish('batch', event.batchId, event);
  }
}

/** Cancels an engine run once it exists, or at once if the request came first. */
class CancelSwitch {
  private fired = false;
  private cancelRun: (() => void) | null = null;

  fire(): void {
    this.fired = true;
    this.cancelRun?.();
  }

  attach(cancelRun: () => void): void {
    this.cancelRun = cancelRun;
    if (this.fired) cancelRun();
  }
}

/**
 * Throttles a single run's progress: events at most every PROGRESS_EVENT_MS (plus the first
 * and the last bar), row writes at most every PROGRESS_WRITE_MS; ignores reports after
 * `stop` (they can trail the result on the thread's message port).
 */
class ProgressReporter {
  private readonly started = performance.now();
  private lastEvent = -Infinity;
  private lastWrite = -Infinity;
  private stopped = false;

  constructor(
    private readonly run: RunRow,
    private readonly publish: (event: BacktestProgressEvent) => Promise<void>,
    private readonly write: (progress: number, barsProcessed: number, totalBars: number) => Promise<void>,
    private readonly now: () => Date,
  ) {}

  report(barsProcessed: number, totalBars: number, equity: number): void {
    if (this.stopped) return;
    const t = performance.now();
    const last = barsProcessed === totalBars;
    if (!last && barsProcessed !== 1 && t - this.lastEvent < PROGRESS_EVENT_MS) return;
    this.lastEvent = t;
    const progress = totalBars ? barsProcessed / totalBars : 0;
    const elapsed = (t - this.started) / 1000;
    void this.publish(
      backtestStateEvent({ ...this.run, status: 'RUNNING', progress, barsProcessed, totalBars, error: null }, this.now(), {
        equity,
        etaSeconds: progress > 0 ? (elapsed * (1 - progress)) / progress : null,
      }),
    );
    if (!last && t - this.lastWrite >= PROGRESS_WRITE_MS) {
      this.lastWrite = t;
      this.write(progress, barsProcessed, totalBars).catch(() => undefined);
    }
  }

  stop(): void {
    this.stopped = true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
