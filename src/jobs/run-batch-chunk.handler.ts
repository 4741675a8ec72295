import type { BacktestRunService } from '../modules/backtests/backtest-runs.service.js';
import type { JobHandler } from './queue.js';

/** `backtest.batch-chunk`: a chunk of a batch, run by the service that owns its life. */
export function createRunBatchChunkHandler(runs: BacktestRunService): JobHandler<'backtest.batch-chunk'> {
  return (payload, attempt) => runs.runBatchChunk(payload.batchId, payload.backtestIds, attempt);
}
