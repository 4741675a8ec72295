import type { Deps } from '../deps.js';
import { handleJob, type JobContext } from './backtest.handler.js';
import { EnginePool } from './engine-pool.js';
import { topics } from '../modules/backtests/backtests.events.js';
import type { Listener } from '../graphql/pubsub.js';

export interface JobConsumer {
  /** Stops taking jobs, lets running ones finish (bounded by the caller), frees the threads. */
  stop(): Promise<void>;
}

/**
 * Starts consuming backtest jobs in this process: engine threads (WORKER_CONCURRENCY),
 * cancellation requests from any API replica, and — for the in-process queue, whose jobs
 * live in memory — re-enqueueing work a previous process left unfinished.
 */
export async function startJobConsumer(deps: Deps, options: { recoverUnfinished?: boolean } = {}): Promise<JobConsumer> {
  const concurrency = deps.config.workerConcurrency;
  const engine = new EnginePool(concurrency);
  const ctx = createJobContext(deps, engine);
  const cancellations = await listenForCancellations(ctx);

  deps.queue.consume(async (job, attempt) => {
    deps.logger.info({ job, attempt: attempt.number, pid: process.pid }, 'job started');
    try {
      await handleJob(ctx, job, attempt);
    } catch (error) {
      deps.logger.error({ err: error, job, attempt: attempt.number }, 'backtest job failed');
      throw error;
    }
  }, concurrency);

  if (deps.queue.mode === 'in-process' && options.recoverUnfinished !== false) await recoverUnfinishedJobs(deps);

  return {
    async stop() {
      await deps.queue.close();
      await cancellations.close();
      await engine.close();
    },
  };
}

export function createJobContext(deps: Deps, engine: EnginePool): JobContext {
  return { prisma: deps.prisma, db: deps.db, pubsub: deps.pubsub, engine, logger: deps.logger, running: new Map() };
}

/** Aborts runs of this process when any API replica asks (cancelBacktest publishes the id). */
export async function listenForCancellations(ctx: JobContext): Promise<Listener<{ backtestId: string }>> {
  const cancellations = await ctx.pubsub.listen<{ backtestId: string }>(topics.cancel);
  void (async () => {
    for await (const { backtestId } of cancellations) ctx.running.get(backtestId)?.();
  })();
  return cancellations;
}

/**
 * In-process queue only: jobs do not survive the process, so rows still QUEUED/RUNNING are
 * queued again. This assumes the process is the only one running jobs on its database —
 * true of embedded mode; with several processes, use Redis (BullMQ recovers stalled jobs).
 */
async function recoverUnfinishedJobs(deps: Deps): Promise<void> {
  const batches = await deps.prisma.backtestBatch.findMany({ where: { status: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true } });
  const singles = await deps.prisma.backtest.findMany({ where: { status: { in: ['QUEUED', 'RUNNING'] }, batchId: null }, select: { id: true } });
  for (const b of batches) await deps.queue.enqueue({ name: 'backtest.batch', id: b.id });
  for (const b of singles) await deps.queue.enqueue({ name: 'backtest.run', id: b.id });
  if (batches.length + singles.length) deps.logger.info({ batches: batches.length, backtests: singles.length }, 'resumed unfinished backtests');
}
