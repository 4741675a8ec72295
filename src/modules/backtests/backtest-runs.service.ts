import pLimit from 'p-limit';
import type { Database } from '../../db/pool.js';
import { withTransaction } from '../../db/transaction.js';
import type { Candles } from '../../engine/index.js';
import type { PubSub } from '../../events/pubsub.js';
import type { Backtest } from '../../generated/prisma/client.js';
import type { Attempt, JobQueue } from '../../jobs/queue.js';
import { DomainError, NotFoundError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { EngineOutcome, EngineRunner } from '../../threads/engine-pool.js';
import type { Viewer } from '../accounts/access.js';
import { BATCH_FETCH_SYMBOLS, type MarketDataService } from '../market-data/market-data.service.js';
import type { StrategiesService, StrategyDefinition } from '../strategies/strategies.service.js';
import { BacktestFailedError, BacktestFinishedError } from './backtests.errors.js';
import { backtestStateEvent, batchStateEvent, isTerminal, type BacktestProgressEvent, type BacktestTopics, type BatchProgressEvent } from './backtests.events.js';
import type { BacktestsRepository } from './backtests.repository.js';
import type { BacktestsStore, BatchRow, RunEnd, RunResult, RunRow } from './backtests.store.js';
import { CancelSwitch } from './cancel-switch.js';
import { OutcomeWriter } from './outcome-writer.js';
import { ProgressReporter } from './progress-reporter.js';

/** Stored equity curve points (the API downsamples further on request). */
const MAX_EQUITY_POINTS = 2_000;
/** How long cancelBacktest waits for a running backtest to confirm it stopped. */
const CANCEL_WAIT_MS = 2_000;
/**
 * Chunks of a batch in flight at once: one is fetched while the other runs, so engine
 * threads never wait for data, and at most two chunks' candles are in memory.
 */
const CHUNKS_IN_FLIGHT = 2;
/**
 * Finished children of a chunk are written together: when the chunk is done, or this long
 * after the first of them finished (so a chunk of slow runs still shows results as they
 * come). A chunk of fast runs is one write.
 */
const RESULT_WRITE_WINDOW_MS = 250;
const INTERNAL_ERROR = 'internal error while running the backtest';

export interface BacktestRunDeps {
  repository: BacktestsRepository;
  store: BacktestsStore;
  db: Database;
  strategies: Pick<StrategiesService, 'getDefinition'>;
  /** Where runs get their candles (MarketDataService). */
  candles: Pick<MarketDataService, 'loadCandlesForRuns'>;
  engine: EngineRunner;
  pubsub: PubSub<BacktestTopics>;
  queue: JobQueue;
  logger: Logger;
  now?: () => Date;
  /** See RESULT_WRITE_WINDOW_MS. */
  resultWriteWindowMs?: number;
}

/** A run's outcome, ready to be written: the engine's, or no data to run on. */
type Outcome = EngineOutcome | { type: 'no-data' };
interface Settled {
  run: RunRow;
  outcome: Outcome;
  /** When the engine started on it (its `startedAt` once written). */
  startedAt: Date;
}

/** A batch being run by this attempt: counters as announced, in order, from one tally. */
interface BatchRun {
  row: BatchRow;
  tally: { completed: number; failed: number };
}

/**
 * The one owner of a backtest run's life (DESIGN.md §5): claim, progress, completion,
 * failure, cancellation, requeue and recovery, for single runs and for batches — which run
 * as a unit of their own: the strategy loaded once, children claimed and fetched per chunk
 * in one statement each and written set-based, batch counters and summary — and the events
 * all of this publishes (BacktestEventsService streams them to subscribers). Every state
 * write of `backtest` and `backtest_batch` after creation happens here.
 */
export class BacktestRunService {
  private readonly now: () => Date;
  /** Cancel switches of the runs this process is running, by backtest id. */
  private readonly running = new Map<string, CancelSwitch>();

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
    // Registered before the claim: a cancel arriving at any point after it is honoured.
    const cancel = this.register(backtestId);
    try {
      const run = await this.deps.store.claimRun(backtestId, this.now());
      if (!run) return;
      await this.publishRun(backtestStateEvent(run, this.now()));
      if (run.status === 'CANCELLED') return;
      try {
        const strategy = await this.deps.strategies.getDefinition(run.strategyId);
        const candles = (await this.deps.candles.loadCandlesForRuns([run.instrumentId], run.interval, run.from, run.to)).get(run.instrumentId);
        const settled = await this.execute(run, candles, strategy, cancel, { writes: true });
        const { invalid, crashed } = await this.settle([settled], null);
        if (invalid) throw new BacktestFailedError(invalid);
        if (crashed) throw new Error(`engine crashed: ${crashed}`);
      } catch (error) {
        if (error instanceof BacktestFailedError) throw error; // recorded by settle
        await this.endAfterFailure([run], attempt, error);
        throw error;
      }
    } finally {
      this.running.delete(backtestId);
    }
  }

  // ── Batches ─────────────────────────────────────────────────────────────────────────────

  /**
   * Runs a batch (the `backtest.batch` job): the strategy is loaded once; children are
   * claimed and their candles fetched with one statement each per chunk of
   * BATCH_FETCH_SYMBOLS, run on the engine threads, and written set-based as they finish
   * (see RESULT_WRITE_WINDOW_MS). Every finished child is announced on the batch topic; the
   * batch completes with its counters and summary. Idempotent: children finished by an
   * earlier attempt are not run again. When this attempt is the last (or the failure is a
   * domain error, never retried), the unfinished children fail and the batch completes
   * anyway, so nothing stays QUEUED or RUNNING.
   * @throws the first failure, after the other chunks finished (the queue retries).
   */
  async runBatch(batchId: string, attempt: Attempt): Promise<void> {
    const row = await this.deps.store.claimBatch(batchId, this.now());
    if (!row) return;
    const batch: BatchRun = { row, tally: { completed: row.completed, failed: row.failed } };
    const startedAt = row.startedAt ?? this.now();
    let dataFetchMs = 0;
    let failure: unknown = null;
    try {
      const strategy = await this.deps.strategies.getDefinition(row.strategyId);
      const pending = await this.deps.store.listUnfinishedChildren(batchId);
      const inFlight = pLimit(CHUNKS_IN_FLIGHT);
      const chunks: Array<Promise<void>> = [];
      for (let i = 0; i < pending.length; i += BATCH_FETCH_SYMBOLS) {
        const ids = pending.slice(i, i + BATCH_FETCH_SYMBOLS);
        chunks.push(
          inFlight(async () => {
            dataFetchMs += await this.runChunk(batch, ids, strategy, attempt);
          }),
        );
      }
      const rejected = (await Promise.allSettled(chunks)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (rejected) failure = rejected.reason;
    } catch (error) {
      failure = error;
    }
    if (failure && !attempt.isLast && !(failure instanceof DomainError)) throw failure;
    if (failure) await this.failUnfinishedChildren(batch, failure);
    const finishedAt = this.now();
    const done = await this.deps.store.completeBatch(batchId, { finishedAt, durationMs: finishedAt.getTime() - startedAt.getTime(), dataFetchMs });
    if (done) await this.publishBatch(batchStateEvent(done, null, finishedAt));
    if (failure) throw failure;
  }

  /**
   * One chunk of a batch: claim its children (one statement), fetch their candles (one),
   * run them on the engine threads, write their outcomes as they finish. Returns the time
   * spent fetching candles. A failure ends or requeues the children it left unwritten.
   */
  private async runChunk(batch: BatchRun, ids: readonly string[], strategy: StrategyDefinition, attempt: Attempt): Promise<number> {
    // Switches registered before the claim: a cancel request is never lost in between.
    const cancels = new Map(ids.map((id) => [id, this.register(id)]));
    const writer = new OutcomeWriter<Settled>((settled) => this.settle(settled, batch), this.deps.resultWriteWindowMs ?? RESULT_WRITE_WINDOW_MS);
    let children: RunRow[] = [];
    try {
      // In the order given (by symbol): runs start, and results come, in a predictable order.
      const order = new Map(ids.map((id, i) => [id, i]));
      children = (await this.deps.store.claimChildren(batch.row.id, ids, this.now())).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      const runnable = children.filter((c) => c.status === 'RUNNING');
      const fetchStarted = performance.now();
      const candles = await this.deps.candles.loadCandlesForRuns(runnable.map((c) => c.instrumentId), batch.row.interval, batch.row.from, batch.row.to);
      const fetchMs = performance.now() - fetchStarted;
      await Promise.all(
        children.map(async (run) => {
          if (run.status === 'CANCELLED') {
            writer.add({ run, outcome: { type: 'cancelled', barsProcessed: 0 }, startedAt: run.startedAt ?? this.now() }, true);
            return;
          }
          const series = candles.get(run.instrumentId);
          candles.delete(run.instrumentId); // the engine thread takes the buffers; drop our reference
          const settled = await this.execute(run, series, strategy, cancels.get(run.id)!, { writes: false });
          writer.add(settled, settled.outcome.type === 'cancelled');
        }),
      );
      const { crashed } = await writer.drain();
      if (crashed) throw new Error(`engine crashed on a child: ${crashed}`);
      return fetchMs;
    } catch (error) {
      await writer.drain().catch(() => undefined);
      // Children claimed here and not written: back to QUEUED for the next attempt, or FAILED.
      await this.endAfterFailure(children.filter((c) => c.status === 'RUNNING' && !writer.wrote.has(c.id)), attempt, error);
      throw error;
    } finally {
      for (const id of ids) this.running.delete(id);
    }
  }

  /** A batch's final failure: its unfinished children end as FAILED, announced like any other. */
  private async failUnfinishedChildren(batch: BatchRun, failure: unknown): Promise<void> {
    const error = failure instanceof DomainError ? failure.message : INTERNAL_ERROR;
    const failed = await this.deps.store.failUnfinishedChildren(batch.row.id, error, this.now());
    const at = this.now();
    for (const run of failed) {
      await this.publishRun(backtestStateEvent(run, at));
      batch.tally.failed += 1;
      await this.publishBatch(batchStateEvent({ ...batch.row, ...batch.tally }, run.id, at));
    }
  }

  // ── Shared by both: executing, settling, failing ────────────────────────────────────────

  /** Registers a run as executing in this process: a cancel request fires the returned switch. */
  private register(backtestId: string): CancelSwitch {
    const cancel = new CancelSwitch();
    this.running.set(backtestId, cancel);
    return cancel;
  }

  /**
   * Runs the engine on a thread. Progress goes out as events (at most 5 a second); a single
   * run's row is also updated (at most once a second) — a batch child's is not, so a chunk
   * costs no statement per child.
   */
  private async execute(run: RunRow, candles: Candles | undefined, strategy: StrategyDefinition, cancel: CancelSwitch, options: { writes: boolean }): Promise<Settled> {
    const startedAt = this.now();
    if (!candles) return { run, outcome: { type: 'no-data' }, startedAt };
    const progress = new ProgressReporter(
      run,
      (event) => this.publishRun(event),
      options.writes ? (p, bars, total) => this.deps.store.writeProgress(run, p, bars, total) : null,
      this.now,
    );
    const engineRun = this.deps.engine.run(
      {
        candles,
        strategy: { kind: strategy.kind, params: strategy.parameters },
        config: run.config,
        maxEquityPoints: MAX_EQUITY_POINTS,
        progressEvery: Math.max(1, Math.ceil(candles.time.length / 50)),
      },
      (bars, total, equity) => progress.report(bars, total, equity),
    );
    cancel.attach(engineRun.cancel);
    try {
      return { run, outcome: await engineRun.outcome, startedAt };
    } finally {
      progress.stop();
    }
  }

  /**
   * Writes the outcomes of runs in one transaction — results, failures and cancellations
   * set-based, and the batch counters when they are children — then announces those it
   * wrote (an outcome of a superseded attempt writes nothing and says nothing). Crashed runs
   * are not written: the caller retries or fails them. Returns the first rejection and crash.
   */
  private async settle(settled: readonly Settled[], batch: BatchRun | null): Promise<{ invalid: string | null; crashed: string | null; wrote: string[] }> {
    const finishedAt = this.now();
    const results: RunResult[] = [];
    const ends: RunEnd[] = [];
    const events = new Map<string, BacktestProgressEvent>();
    let invalid: string | null = null;
    let crashed: string | null = null;
    for (const { run, outcome, startedAt } of settled) {
      const durationMs = finishedAt.getTime() - startedAt.getTime();
      const state = { id: run.id, progress: run.progress, barsProcessed: run.barsProcessed, totalBars: run.totalBars, error: null };
      switch (outcome.type) {
        case 'done': {
          const { type: _type, ...result } = outcome;
          results.push({ ...result, id: run.id, attempts: run.attempts, startedAt, finishedAt, durationMs });
          const equity = { equity: outcome.equity.equity.at(-1) ?? null, etaSeconds: 0 };
          events.set(run.id, backtestStateEvent({ ...state, status: 'COMPLETED', progress: 1, barsProcessed: outcome.barsProcessed, totalBars: outcome.totalBars }, finishedAt, equity));
          break;
        }
        case 'cancelled':
          ends.push({ id: run.id, attempts: run.attempts, status: 'CANCELLED', error: null, barsProcessed: outcome.barsProcessed, finishedAt, durationMs });
          events.set(run.id, backtestStateEvent({ ...state, status: 'CANCELLED', barsProcessed: outcome.barsProcessed }, finishedAt));
          break;
        case 'invalid':
        case 'no-data': {
          const error = outcome.type === 'invalid' ? outcome.message : `no candles for ${run.symbol} in the range`;
          if (outcome.type === 'invalid') invalid ??= error;
          ends.push({ id: run.id, attempts: run.attempts, status: 'FAILED', error, barsProcessed: run.barsProcessed, finishedAt, durationMs });
          events.set(run.id, backtestStateEvent({ ...state, status: 'FAILED', error }, finishedAt));
          break;
        }
        case 'crashed':
          crashed ??= outcome.message;
          break;
      }
    }
    if (results.length + ends.length === 0) return { invalid, crashed, wrote: [] };
    // A run cancelled when claimed was ended by the claim: it is counted and announced here.
    const claimedCancelled = settled.filter((s) => s.run.status === 'CANCELLED').map((s) => s.run.id);
    const written = await withTransaction(this.deps.db.pool, async (client) => {
      const w = await this.deps.store.writeOutcomes(client, results, ends);
      for (const id of claimedCancelled) w.ended.add(id);
      if (batch) await this.deps.store.countChildren(client, batch.row.id, w.completed.size, w.ended.size);
      return w;
    });
    const wrote = [...events.keys()].filter((id) => written.completed.has(id) || written.ended.has(id));
    for (const id of wrote) {
      const event = events.get(id)!;
      await this.publishRun(event);
      if (!batch) continue;
      // One tally per batch run, advanced as each child is announced: counters never go
      // backwards, whichever chunk's write lands first.
      if (event.status === 'COMPLETED') batch.tally.completed += 1;
      else batch.tally.failed += 1;
      await this.publishBatch(batchStateEvent({ ...batch.row, ...batch.tally }, id, finishedAt));
    }
    return { invalid, crashed, wrote };
  }

  /**
   * After a failure of runs: a domain error, or the last attempt, ends them as FAILED (never
   * left RUNNING); otherwise they go back to QUEUED for the queue's next attempt.
   */
  private async endAfterFailure(runs: readonly RunRow[], attempt: Attempt, failure: unknown): Promise<void> {
    if (runs.length === 0) return;
    try {
      if (failure instanceof DomainError || attempt.isLast) {
        const error = failure instanceof DomainError ? failure.message : INTERNAL_ERROR;
        const finishedAt = this.now();
        const ended = await this.deps.store.writeEnds(
          this.deps.db.pool,
          runs.map((r) => ({ id: r.id, attempts: r.attempts, status: 'FAILED', error, barsProcessed: r.barsProcessed, finishedAt, durationMs: null })),
        );
        for (const run of runs) if (ended.has(run.id)) await this.publishRun(backtestStateEvent({ ...run, status: 'FAILED', error }, finishedAt));
      } else {
        await this.deps.store.requeue(runs);
      }
    } catch (error) {
      // The database may be what failed: the rows stay as they are until the job's next attempt.
      this.deps.logger.warn({ err: error }, 'could not record a failed attempt');
    }
  }

  // ── Cancellation and recovery ───────────────────────────────────────────────────────────

  /**
   * QUEUED → CANCELLED at once; RUNNING → the process running it is told to stop and the
   * call waits (≤ 2 s) for it to confirm; a finished backtest → BacktestFinishedError.
   * @throws NotFoundError (also for other owners' backtests), BacktestFinishedError.
   */
  async cancelBacktest(viewer: Viewer, id: string): Promise<Backtest> {
    const backtest = await this.deps.repository.findVisibleRun(viewer, id);
    if (!backtest) throw new NotFoundError('Backtest', id);
    if (isTerminal(backtest.status)) throw new BacktestFinishedError(backtest.status);
    if (await this.deps.repository.cancelQueued(backtest.id, this.now())) {
      if (!backtest.batchId) await this.deps.queue.remove('backtest.run', { backtestId: backtest.id });
      const row = (await this.deps.repository.findRun(backtest.id))!;
      await this.publishRun(backtestStateEvent(row, this.now()));
      return row;
    }
    // RUNNING: listen first (its terminal event may come at any moment), record the request
    // (honoured even by a worker that picks the job up later), tell whichever process runs
    // it, and wait for the confirmation.
    const events = await this.deps.pubsub.listen('backtest', backtest.id);
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.deps.repository.requestCancel(backtest.id, this.now());
      const current = (await this.deps.repository.findRun(backtest.id))!;
      if (!isTerminal(current.status)) {
        const stopped = (async () => {
          for await (const event of events) if (isTerminal(event.status)) return;
        })();
        await this.deps.pubsub.publish('backtests.cancel', { backtestId: backtest.id });
        await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)))]);
      }
    } finally {
      clearTimeout(timer);
      await events.close();
    }
    return (await this.deps.repository.findRun(backtest.id))!;
  }

  /** Aborts runs of this process when any API replica asks (cancelBacktest publishes the id). */
  async listenForCancellations(): Promise<{ close(): Promise<void> }> {
    const requests = await this.deps.pubsub.listen('backtests.cancel');
    void (async () => {
      for await (const { backtestId } of requests) this.running.get(backtestId)?.fire();
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

  // ── Events: best effort (see events/pubsub.ts) ──────────────────────────────────────────

  private publishRun(event: BacktestProgressEvent): Promise<void> {
    return this.deps.pubsub.publish('backtest', event.backtestId, event);
  }

  private publishBatch(event: BatchProgressEvent): Promise<void> {
    return this.deps.pubsub.publish('batch', event.batchId, event);
  }
}
