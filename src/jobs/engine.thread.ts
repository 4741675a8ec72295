import { parentPort } from 'node:worker_threads';
import { BacktestCancelledError, BacktestInputError, downsampleEquity, runBacktest } from '../engine/index.js';
import type { EngineTask, EngineMessage } from './engine-pool.js';

/**
 * Worker thread running the engine, so backtests never block an event loop (API requests,
 * BullMQ lock renewals). Cancellation is a shared flag the engine polls through an
 * AbortSignal-shaped view; progress goes back as messages.
 */
const port = parentPort!;

port.on('message', (task: EngineTask) => {
  const flag = new Int32Array(task.cancel);
  const signal = { get aborted() { return Atomics.load(flag, 0) === 1; } } as AbortSignal;
  const post = (message: EngineMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  try {
    const result = runBacktest(task.candles, task.strategy, task.config, {
      signal,
      progressEvery: task.progressEvery,
      onProgress: (barsProcessed, totalBars, equity) => post({ taskId: task.taskId, type: 'progress', barsProcessed, totalBars, equity }),
    });
    const curve = downsampleEquity(result.equity, task.maxEquityPoints);
    const t = result.tradeColumns;
    post(
      {
        taskId: task.taskId,
        type: 'done',
        metrics: result.metrics,
        assumptions: result.assumptions,
        barsProcessed: result.barsProcessed,
        totalBars: result.totalBars,
        equity: { time: Array.from(curve.time), equity: Array.from(curve.equity), drawdown: Array.from(curve.drawdown) },
        trades: {
          side: t.side.slice(0, t.count),
          entryTime: t.entryTime.slice(0, t.count),
          entryPrice: t.entryPrice.slice(0, t.count),
          exitTime: t.exitTime.slice(0, t.count),
          exitPrice: t.exitPrice.slice(0, t.count),
          quantity: t.quantity.slice(0, t.count),
          pnl: t.pnl.slice(0, t.count),
          returnPct: t.returnPct.slice(0, t.count),
          fees: t.fees.slice(0, t.count),
          barsHeld: t.barsHeld.slice(0, t.count),
        },
      },
    );
  } catch (error) {
    if (error instanceof BacktestCancelledError) {
      post({ taskId: task.taskId, type: 'cancelled', barsProcessed: error.barsProcessed });
    } else if (error instanceof BacktestInputError) {
      post({ taskId: task.taskId, type: 'invalid', message: error.message, issues: error.issues });
    } else {
      post({ taskId: task.taskId, type: 'crashed', message: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
  }
});
