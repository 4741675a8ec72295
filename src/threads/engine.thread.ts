import { threadId } from 'node:worker_threads';
import { BacktestCancelledError, BacktestInputError, downsampleEquity, runBacktest, WorkBuffers } from '../engine/index.js';
import type { EngineOutcome, EngineThreadTask } from './engine-pool.js';
import { RunControl } from './run-control.js';

/**
 * Runs the engine on a worker thread (piscina calls the default export per task), so
 * backtests never block an event loop (API requests, BullMQ lock renewals). Cancellation is
 * a shared flag the engine polls through an AbortSignal-shaped view; progress is written to
 * the same shared block (RunControl), where the caller samples it.
 */

/** The no-op task EngineRunner.start() sends each thread (it settles once the thread has loaded this module): its id. */
export function warmUp(): number {
  return threadId;
}

/** This thread's work buffers: one run at a time per thread, so they are reused by every run. */
const buffers = new WorkBuffers();

export default function runEngineTask(task: EngineThreadTask): EngineOutcome {
  const control = new RunControl(task.control);
  const signal = { get aborted() { return control.cancelled; } } as AbortSignal;
  try {
    if (signal.aborted) return { type: 'cancelled', barsProcessed: 0 };
    const result = runBacktest(
      task.candles,
      task.strategy,
      task.config,
      {
        signal,
        progressEvery: task.progressEvery,
        onProgress: task.reportsProgress ? (barsProcessed, totalBars, equity) => control.writeProgress(barsProcessed, totalBars, equity) : undefined,
      },
      buffers,
    );
    const curve = downsampleEquity(result.equity, task.maxEquityPoints);
    return {
      type: 'done',
      metrics: result.metrics,
      assumptions: result.assumptions,
      barsProcessed: result.barsProcessed,
      totalBars: result.totalBars,
      equity: { time: curve.time, equity: curve.equity, drawdown: curve.drawdown },
      trades: result.tradeColumns,
    };
  } catch (error) {
    if (error instanceof BacktestCancelledError) return { type: 'cancelled', barsProcessed: error.barsProcessed };
    if (error instanceof BacktestInputError) return { type: 'invalid', message: error.message, issues: error.issues };
    throw error;
  }
}
