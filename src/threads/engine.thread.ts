import { threadId } from 'node:worker_threads';
import { BacktestCancelledError, BacktestInputError, downsampleEquity, runBacktest, WorkBuffers } from '../engine/index.js';
import type { EngineOutcome, EngineThreadProgress, EngineThreadTask } from './engine-pool.js';

/**
 * Runs the engine on a worker thread (piscina calls the default export per task), so
 * backtests never block an event loop (API requests, BullMQ lock renewals). Cancellation is
 * a shared flag the engine polls through an AbortSignal-shaped view; progress goes back on
 * the task's MessagePort.
 */

/** The no-op task EngineRunner.start() sends each thread (it settles once the thread has loaded this module): its id. */
export function warmUp(): number {
  return threadId;
}

/** This thread's work buffers: one run at a time per thread, so they are reused by every run. */
const buffers = new WorkBuffers();

export default function runEngineTask(task: EngineThreadTask): EngineOutcome {
  const flag = new Int32Array(task.cancel);
  const signal = { get aborted() { return Atomics.load(flag, 0) === 1; } } as AbortSignal;
  const progress = task.progress;
  const interval = task.progressIntervalMs ?? 0;
  let lastSent = -Infinity;
  try {
    if (signal.aborted) return { type: 'cancelled', barsProcessed: 0 };
    const result = runBacktest(
      task.candles,
      task.strategy,
      task.config,
      {
        signal,
        progressEvery: task.progressEvery,
        onProgress: progress
          ? (barsProcessed, totalBars, equity) => {
              const now = performance.now();
              if (barsProcessed < totalBars && now - lastSent < interval) return;
              lastSent = now;
              progress.postMessage({ barsProcessed, totalBars, equity } satisfies EngineThreadProgress);
            }
          : undefined,
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
  } finally {
    progress?.close();
  }
}
