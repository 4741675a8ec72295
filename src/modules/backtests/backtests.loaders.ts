import DataLoader from 'dataloader';
import type { StoredResult } from './backtests.store.js';
import type { BacktestsService } from './backtests.service.js';

/**
 * Per-request DataLoaders: the packed results (trades, equity curve) of every backtest of a
 * response in one statement, and only when a response asks for trades or the curve.
 */
export function createBacktestLoaders(backtests: BacktestsService) {
  return {
    result: new DataLoader<string, StoredResult | null>((ids) => backtests.listResults(ids)),
  };
}

export type BacktestLoaders = ReturnType<typeof createBacktestLoaders>;
