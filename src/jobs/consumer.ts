import { DomainError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { BacktestRunService } from '../modules/backtests/backtest-runs.service.js';
import type { EngineRunner } from '../threads/engine-pool.js';
import type { JobQueue } from './queue.js';
import { createRunBacktestHandler } from './run-backtest.handler.js';
import { createRunBatchHandler } from './run-batch.handler.js';

export interface JobConsumer {
  /** Stops taking jobs and cancellation requests, once the running jobs have finished. */
  stop(): Promise<void>;
}

/** What consuming needs of a runtime (deps.ts): the queue, the engine threads, the services the handlers call. */
export interface ConsumerDeps {
  queue: JobQueue;
  engine: EngineRunner;
  services: { backtestRuns: BacktestRunService };
  logger: Logger;
  config: { worker: { concurrency: number } };
}

/**
 * Consumes jobs in this process: every handler of the catalog, cancellation requests from any
 * API replica, and — for the in-process queue, whose jobs live in memory — the work a previous
 * process left unfinished (`resumeUnfinished: false` skips that, e.g. for test stacks that
 * share a database).
 */
export async function startJobConsumer(deps: ConsumerDeps, options: { resumeUnfinished?: boolean } = {}): Promise<JobConsumer> {
  const { queue, logger } = deps;
  const { backtestRuns } = deps.services;
  // Threads ready before the first job: its run (and a cancel of it) never waits for them.
  deps.engine.start();
  const cancellations = await backtestRuns.listenForCancellations();
  queue.consume(
    { 'backtest.run': createRunBacktestHandler(backtestRuns), 'backtest.batch': createRunBatchHandler(backtestRuns) },
    deps.config.worker.concurrency,
    {
      started: (job, attempt) => logger.info({ job, attempt: attempt.number, pid: process.pid }, 'job started'),
      // A domain error is an outcome (recorded on the backtest), not a fault of ours.
      failed: (job, attempt, error) =>
        error instanceof DomainError
          ? logger.warn({ job, attempt: attempt.number, code: error.code, reason: error.message }, 'backtest job failed')
          : logger.error({ err: error, job, attempt: attempt.number }, 'backtest job failed'),
    },
  );
  if (queue.mode === 'in-process' && options.resumeUnfinished !== false) {
    const resumed = await backtestRuns.resumeUnfinished();
    if (resumed) logger.info({ resumed }, 'resumed unfinished backtests');
  }
  return {
    async stop() {
      await queue.stopConsuming();
      await cancellations.close();
    },
  };
}
