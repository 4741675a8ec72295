import { DomainError } from '../../lib/errors.js';

/** The range holds no candles for the symbol at that interval: nothing to backtest. */
export class NoDataError extends DomainError {
  constructor(readonly symbol: string, from: Date, to: Date) {
    super(`${symbol} has no candles in [${from.toISOString()}, ${to.toISOString()})`, 'NO_DATA');
  }
}

/** cancelBacktest on a backtest that already finished (COMPLETED, FAILED or CANCELLED). */
export class BacktestFinishedError extends DomainError {
  constructor(readonly status: string) {
    super(`The backtest already finished (${status}) and cannot be cancelled`, 'BACKTEST_FINISHED');
  }
}

/** Jobs cannot be queued (e.g. Redis is down); nothing was created. Retry later. */
export class QueueUnavailableError extends DomainError {
  constructor(detail: string) {
    super(`Backtests cannot be queued right now (${detail}); nothing was created, try again shortly`, 'QUEUE_UNAVAILABLE');
  }
}

/** The engine rejected a run's input (recorded as the backtest's error); its job is not retried. */
export class BacktestFailedError extends DomainError {
  constructor(reason: string) {
    super(`The backtest failed: ${reason}`, 'BACKTEST_FAILED');
  }
}
