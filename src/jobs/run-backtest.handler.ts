import type { BacktestRunService } from '../modules/backtests/backtest-runs.service.js';
import type { JobHandler } from './queue.js';

/** `backtest.run`: one backtest, run by the service that owns its life. */
export function createRunBacktestHandler(runs: BacktestRunService): JobHandler<'backtest.run'> {
  return (payload, attempt) => runs.runBacktest(payload.backtestId, attempt);
}
