import type { BacktestStatus } from '../../generated/prisma/client.js';

/**
 * Events published while backtests run. Plain JSON (no ORM objects): they cross processes
 * through Redis. Topics are per backtest / batch so a subscriber receives only its own.
 */
export interface BacktestProgressEvent {
  backtestId: string;
  status: BacktestStatus;
  /** 0..1 */
  progress: number;
  barsProcessed: number;
  totalBars: number;
  /** Equity at the close of the last processed bar; null before the run starts. */
  equity: number | null;
  /** Estimated seconds to completion, from the run's pace so far; null when unknown. */
  etaSeconds: number | null;
  error: string | null;
  at: Date;
}

export interface BatchProgressEvent {
  batchId: string;
  completed: number;
  failed: number;
  total: number;
  status: BacktestStatus;
  /** The child that just finished (null on the initial state event). */
  backtestId: string | null;
  at: Date;
}

export const TERMINAL: readonly BacktestStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];
export const isTerminal = (status: BacktestStatus) => TERMINAL.includes(status);

export const topics = {
  backtest: (id: string) => `backtest.${id}`,
  batch: (id: string) => `batch.${id}`,
  /** Every worker listens; the one running the backtest aborts it. */
  cancel: 'backtests.cancel',
};
