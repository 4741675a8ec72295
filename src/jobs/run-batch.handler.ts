import type { BacktestRunService } from '../modules/backtests/backtest-runs.service.js';
import type { JobHandler } from './queue.js';

/** `backtest.batch`: a batch with all its children, run by the service that owns its life. */
export function createRunBatchHandler(runs: BacktestRunService): JobHandler<'backtest.batch'> {
  return (payload, attempt) => runs.runBatch(payload.batchId, attempt);
}
