import type { Database } from '../../db/pool.js';
import { withTransaction } from '../../db/transaction.js';
import { candleColumnsRead, type Candles } from '../../engine/index.js';
import type { PubSub } from '../../events/pubsub.js';
import type { Backtest } from '../../generated/prisma/client.js';
import type { Attempt, JobQueue } from '../../jobs/queue.js';
import { DomainError, NotFoundError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { EngineOutcome, EngineRunner } from '../../threads/engine-pool.js';
import type { Viewer } from '../accounts/access.js';
import { BATCH_FETCH_SYMBOLS, type MarketDataService } from '../market-data/market-data.service.js';
import type { StrategyDefinition } from '../strategies/strategies.service.js';
import { BacktestFailedError, BacktestFinishedError } from './backtests.errors.js';
import { backtestStateEvent, batchStateEvent, isTerminal, type BacktestProgressEvent, type BacktestTopics, type BatchProgressEvent } from './backtests.events.js';
import type { BacktestsRepository } from './backtests.repository.js';
import type { BacktestsStore, BatchRow, RunEnd, RunResult, RunRow } from './backtests.store.js';
import { CancelSwitch } from './cancel-switch.js';
import { OutcomeWriter } from './outcome-writer.js';
import { PROGRESS_EVENT_MS, ProgressReporter } from './progress-reporter.js';

/** Stored equity curve points (the API downsamples further on request). */
const MAX_EQUITY_POINTS = 2_000;
/** How long cancelBacktest waits for a running backtest to confirm it stopped. */
const CANCEL_WAIT_MS = 2_000;
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
  /** Where runs get their candles (MarketDataService). */
  candles: Pick<MarketDataService, 'loadCandlesForRuns'>;
  engine: EngineRunner;
  pubsub: PubSub<BacktestTopics>;
  queue: JobQueue;
  logger: Logger;
  now?: () => Date;
  /** See RESULT_WRITE_WINDOW_MS. */
  resultWriteWindowMs?: number;
  /** How long a single run runs before it announces RUNNING (default PROGRESS_EVENT_MS; see runBacktest). */
  announceRunningAfterMs?: number;
}

/** A run's outcome, ready to be written: the engine's, or no data to run on. */
type Outcome = EngineOutcome | { type: 'no-data' };
interface Settled {
  run: RunRow;
  outcome: Outcome;
  /** When the engine started on it (its `startedAt` once written). */
  startedAt: Date;
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
      if (run.status === 'CANCELLED') {
        await this.publishRun(backtestStateEvent(run, this.now()));
        return;
      }
      // RUNNING is announced once the run has taken PROGRESS_EVENT_MS: one that ends sooner is
      // announced once, when it ends — a RUNNING event just before its completion would cost a
      // fan-out to every subscriber right when the completion needs the API's CPU.
      const announce = setTimeout(() => void this.publishRun(backtestStateEvent(run, this.now())), this.deps.announceRunningAfterMs ?? PROGRESS_EVENT_MS);
      try {
        // What was submitted, not the strategy as it is now (it may have changed since).
        const strategy = { id: run.strategyId, kind: run.strategyKind, parameters: run.parameters };
        const columns = candleColumnsRead(strategy.kind);
        const candles = (await this.deps.candles.loadCandlesForRuns([run.instrumentId], run.interval, run.from, run.to, { columns })).get(run.instrumentId);
        const settled = await this.execute(run, candles, strategy, cancel, { writes: true });
        clearTimeout(announce); // before the outcome is written and announced
        const { invalid, crashed } = await this.settle([settled], null);
        if (invalid) throw new BacktestFailedError(invalid);
        if (crashed) throw new Error(`engine crashed: ${crashed}`);
      } catch (error) {
        if (error instanceof BacktestFailedError) throw error; // recorded by settle
        await this.endAfterFailure([run], attempt, error);
        throw error;
      } finally {
        clearTimeout(announce);
      }
    } finally {
      this.running.delete(backtestId);
    }
  }

  // ── Batches ─────────────────────────────────────────────────────────────────────────────

  /**
   * Starts a batch (the `backtest.batch` job): claims it and splits its children, by symbol,
   * into equal chunks of at most BATCH_FETCH_SYMBOLS, each queued as a `backtest.batch-chunk` job — with
   * Redis, every worker process on any machine takes chunks. The split is the same on every
   * attempt (all children, in symbol order), and a chunk's job id is the batch's and its
   * index, so a retried start never queues a chunk twice; chunks whose children all ended
   * are not queued. A batch with nothing left to run is closed here.
   * @throws when the chunks cannot be queued: retried; on the last attempt the unfinished
   *   children fail and the batch closes, so nothing stays QUEUED or RUNNING.
   */
  async runBatch(batchId: string, attempt: Attempt): Promise<void> {
    const batch = await this.deps.store.claimBatch(batchId, this.now());
    if (!batch) return;
    try {
      const children = await this.deps.store.listChildren(batchId);
      // As few chunks as BATCH_FETCH_SYMBOLS allows, of equal size: 211 children are four
      // chunks of 53, not 64 + 64 + 64 + 19 — two workers then get 106 each instead of 128
      // and 83, and neither waits for the other at the end.
      const size = Math.ceil(children.length / Math.max(1, Math.ceil(children.length / BATCH_FETCH_SYMBOLS)));
      let queued = 0;
      for (let i = 0, index = 0; i < children.length; i += size, index += 1) {
        const chunk = children.slice(i, i + size);
        if (!chunk.some((c) => c.unfinished)) continue;
        await this.deps.queue.enqueue('backtest.batch-chunk', { batchId, index, backtestIds: chunk.map((c) => c.id) });
        queued += 1;
      }
      if (queued === 0) await this.closeBatchIfDone(batch.id, 0);
    } catch (error) {
      if (attempt.isLast || error instanceof DomainError) await this.failBatch(batch, error, await this.deps.store.listChildren(batchId).then((c) => c.map((x) => x.id)));
      throw error;
    }
  }

  /**
   * Runs one chunk of a batch (the `backtest.batch-chunk` job): claims its children (one
   * statement), fetches their candles (one, or none from the cache), runs them on the engine
   * threads, writes their outcomes as they finish (see RESULT_WRITE_WINDOW_MS) and announces
   * each; the chunk that leaves nothing to run closes the batch, with its counters and
   * summary. Idempotent: children that ended in an earlier attempt are not run again.
   * @throws any infrastructure failure (the queue retries the chunk); on its last attempt, or
   *   for a domain error, the chunk's unfinished children fail first.
   */
  async runBatchChunk(batchId: string, backtestIds: readonly string[], attempt: Attempt): Promise<void> {
    const batch = await this.deps.store.findRunningBatch(batchId);
    if (!batch) return;
    let fetchMs: number;
    try {
      const strategy = { id: batch.strategyId, kind: batch.strategyKind, parameters: batch.parameters };
      fetchMs = await this.runChunk(batch, backtestIds, strategy, attempt);
    } catch (error) {
      if (attempt.isLast || error instanceof DomainError) await this.failBatch(batch, error, backtestIds);
      throw error;
    }
    await this.closeBatchIfDone(batch.id, fetchMs);
  }

  /**
   * The runs of a chunk: claimed, then each started on the engine threads as soon as its
   * candles are read (while the chunk's other candles still arrive), their outcomes written
   * as they finish. Returns the time spent fetching candles. A failure ends or requeues the
   * children it left unwritten.
   */
  private async runChunk(batch: BatchRow, ids: readonly string[], strategy: StrategyDefinition, attempt: Attempt): Promise<number> {
    // Switches registered before the claim: a cancel request is never lost in between.
    const cancels = new Map(ids.map((id) => [id, this.register(id)]));
    const writer = new OutcomeWriter<Settled>((settled) => this.settle(settled, batch), this.deps.resultWriteWindowMs ?? RESULT_WRITE_WINDOW_MS);
    const started: Array<Promise<void>> = [];
    const startedIds = new Set<string>();
    const start = (run: RunRow, candles: Candles | undefined) => {
      if (startedIds.has(run.id)) return;
      startedIds.add(run.id);
      started.push(
        this.execute(run, candles, strategy, cancels.get(run.id)!, { writes: false }).then((settled) => writer.add(settled, settled.outcome.type === 'cancelled')),
      );
    };
    let children: RunRow[] = [];
    try {
      // In the order given (by symbol): runs start, and results come, in a predictable order.
      const order = new Map(ids.map((id, i) => [id, i]));
      children = (await this.deps.store.claimChildren(batch.id, ids, this.now())).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      for (const run of children) {
        if (run.status === 'CANCELLED') writer.add({ run, outcome: { type: 'cancelled', barsProcessed: 0 }, startedAt: run.startedAt ?? this.now() }, true);
      }
      const runnable = children.filter((c) => c.status === 'RUNNING');
      const byInstrument = new Map<number, RunRow[]>();
      for (const run of runnable) byInstrument.set(run.instrumentId, [...(byInstrument.get(run.instrumentId) ?? []), run]);
      const fetchStarted = performance.now();
      const candles = runnable.length
        ? await this.deps.candles.loadCandlesForRuns([...byInstrument.keys()], batch.interval, batch.from, batch.to, {
            columns: candleColumnsRead(strategy.kind),
            onLoaded: (instrumentId, loaded) => byInstrument.get(instrumentId)?.forEach((run) => start(run, loaded)),
          })
        : new Map<number, Candles>();
      const fetchMs = performance.now() - fetchStarted;
      // The rest: children with no candles in the range (they fail: "no candles").
      for (const run of runnable) start(run, candles.get(run.instrumentId));
      await Promise.all(started);
      const { crashed } = await writer.drain();
      if (crashed) throw new Error(`engine crashed on a child: ${crashed}`);
      return fetchMs;
    } catch (error) {
      // Runs already started finish (and are written) before the unwritten are ended.
      await Promise.allSettled(started);
      await writer.drain().catch(() => undefined);
      // Children claimed here and not written: back to QUEUED for the next attempt, or FAILED.
      await this.endAfterFailure(children.filter((c) => c.status === 'RUNNING' && !writer.wrote.has(c.id)), attempt, error);
      throw error;
    } finally {
      for (const id of ids) this.running.delete(id);
    }
  }

  /**
   * After a chunk (or a submission every child of which was answered from the result cache):
   * adds the chunk's fetch time; when nothing is left to run, closes the batch — counters and
   * summary — and announces it.
   */
  async closeBatchIfDone(batchId: string, dataFetchMs = 0): Promise<void> {
    const at = this.now();
    const closed = await this.deps.store.finishChunk(batchId, { dataFetchMs, now: at });
    if (closed) await this.publishBatch(batchStateEvent(closed, null, at));
  }

  /** A final failure: the given children still to run end as FAILED (announced), then the batch closes if nothing is left. */
  private async failBatch(batch: BatchRow, failure: unknown, backtestIds: readonly string[]): Promise<void> {
    try {
      const error = failure instanceof DomainError ? failure.message : INTERNAL_ERROR;
      const at = this.now();
      const failed = await this.deps.store.failUnfinished(backtestIds, error, at);
      const counters = failed.length ? await this.deps.store.countChildren(this.deps.db.pool, batch.id, 0, failed.length) : null;
      for (const [i, run] of failed.entries()) {
        await this.publishRun(backtestStateEvent(run, at));
        if (counters) await this.publishBatch(batchStateEvent({ ...counters, failed: counters.failed - failed.length + i + 1 }, run.id, at));
      }
      await this.closeBatchIfDone(batch.id, 0);
    } catch (error) {
      // The database may be what failed: the rows stay as they are until the job's next attempt.
      this.deps.logger.warn({ err: error }, 'could not record a failed batch');
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
  private async settle(settled: readonly Settled[], batch: BatchRow | null): Promise<{ invalid: string | null; crashed: string | null; wrote: string[] }> {
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
    const { written, counters } = await withTransaction(this.deps.db.pool, async (client) => {
      const w = await this.deps.store.writeOutcomes(client, results, ends);
      for (const id of claimedCancelled) w.ended.add(id);
      const c = batch ? await this.deps.store.countChildren(client, batch.id, w.completed.size, w.ended.size) : null;
      return { written: w, counters: c };
    });
    const wrote = [...events.keys()].filter((id) => written.completed.has(id) || written.ended.has(id));
    // Batch events carry the children's rows (one read for the write, none per subscriber).
    const rows = counters && wrote.length ? new Map((await this.deps.repository.findRuns(wrote)).map((r) => [r.id, r])) : null;
    // The batch's counters as each child of this write finished: its counts were added at once.
    let completed = (counters?.completed ?? 0) - written.completed.size;
    let failed = (counters?.failed ?? 0) - written.ended.size;
    // Events are stamped when announced, after the commit (their `at` is when the state they
    // describe became visible; the rows keep `finishedAt`).
    const announcedAt = this.now();
    for (const id of wrote) {
      const event = { ...events.get(id)!, at: announcedAt };
      await this.publishRun(event);
      if (!counters) continue;
      if (event.status === 'COMPLETED') completed += 1;
      else failed += 1;
      await this.publishBatch(batchStateEvent({ ...counters, completed, failed }, rows?.get(id) ?? id, announcedAt));
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
