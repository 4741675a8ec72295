import { DomainError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { BacktestRunService } from '../modules/backtests/backtest-runs.service.js';
import type { BacktestsService } from '../modules/backtests/backtests.service.js';
import type { MarketDataService } from '../modules/market-data/market-data.service.js';
import type { EngineRunner } from '../threads/engine-pool.js';
import type { JobQueue } from './queue.js';
import { createRunBacktestHandler } from './run-backtest.handler.js';
import { createRunBatchChunkHandler } from './run-batch-chunk.handler.js';
import { createRunBatchHandler } from './run-batch.handler.js';

export interface JobConsumer {
  /** Stops taking jobs and cancellation requests, once the running jobs have finished. */
  stop(): Promise<void>;
}

/** What consuming needs of a runtime (deps.ts): the queue, the engine threads, the services the handlers call. */
export interface ConsumerDeps {
  queue: JobQueue;
  engine: EngineRunner;
  services: { backtestRuns: BacktestRunService; backtests: Pick<BacktestsService, 'warmPopularCandles'>; marketData: Pick<MarketDataService, 'keepCacheWarm'> };
  logger: Logger;
  config: { worker: { concurrency: number }; cache: { warmInstruments: number } };
}

/**
 * Consumes jobs in this process: every handler of the catalog, cancellation requests from any
 * API replica, the candle cache's warming, and — for the in-process queue, whose jobs live in
 * memory — the work a previous process left unfinished (`resumeUnfinished: false` skips that,
 * e.g. for test stacks that share a database).
 */
export async function startJobConsumer(deps: ConsumerDeps, options: { resumeUnfinished?: boolean } = {}): Promise<JobConsumer> {
  const { queue, logger } = deps;
  const { backtestRuns } = deps.services;
  // Threads loaded before the first job (their start-up overlaps the rest of this one): its
  // run (and a cancel of it) never waits for them, nor shares the cores with their loading.
  const threadsReady = deps.engine.start();
  threadsReady.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const cancellations = await backtestRuns.listenForCancellations();
  // The candle cache of this process: re-cached after every ingest, and warmed now with the
  // most backtested ranges — in the background, readiness never waits for it.
  const warming = await deps.services.marketData.keepCacheWarm();
  deps.services.backtests.warmPopularCandles(deps.config.cache.warmInstruments).then(
    (series) => series && logger.info({ series }, 'candle cache warmed'),
    (error: unknown) => logger.warn({ err: error }, 'candle cache warming failed'),
  );
  try {
    await threadsReady;
  } catch (error) {
    await Promise.allSettled([cancellations.close(), warming.close()]);
    throw error;
  }
  queue.consume(
    {
      'backtest.run': createRunBacktestHandler(backtestRuns),
      'backtest.batch': createRunBatchHandler(backtestRuns),
      'backtest.batch-chunk': createRunBatchChunkHandler(backtestRuns),
    },
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
      await warming.close();
    },
  };
}
