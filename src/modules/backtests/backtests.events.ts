import type { Backtest, BacktestBatch, BacktestStatus } from '../../generated/prisma/client.js';

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
  /** The child that just finished (null on state events). */
  backtestId: string | null;
  /**
   * That child's row as written, when the publisher has it: every subscriber resolves the
   * event's `backtest` from it, without a query per event (and per subscriber).
   */
  backtest?: Backtest;
  at: Date;
}

/** Asks whichever process runs the backtest to stop it (every worker listens). */
export interface CancelRequest {
  backtestId: string;
}

/** The topics of the backtests module (see events/pubsub.ts for the shape). */
export type BacktestTopics = {
  /** Channel `backtest.<id>`: progress and the terminal state of one backtest. */
  backtest: [backtestId: string, event: BacktestProgressEvent];
  /** Channel `batch.<id>`: one event per finished child, then the batch's terminal state. */
  batch: [batchId: string, event: BatchProgressEvent];
  /** Channel `backtests.cancel`. */
  'backtests.cancel': [request: CancelRequest];
};

const TERMINAL: readonly BacktestStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];
export const isTerminal = (status: BacktestStatus) => TERMINAL.includes(status);

/** The event describing a backtest's stored state (the first event every subscriber gets). */
export function backtestStateEvent(
  b: Pick<Backtest, 'id' | 'status' | 'progress' | 'barsProcessed' | 'totalBars' | 'error'>,
  at: Date,
  extra: Pick<BacktestProgressEvent, 'equity' | 'etaSeconds'> = { equity: null, etaSeconds: null },
): BacktestProgressEvent {
  return { backtestId: b.id, status: b.status, progress: b.progress, barsProcessed: b.barsProcessed, totalBars: b.totalBars, error: b.error, at, ...extra };
}

/** The event describing a batch's stored counters and status. */
export function batchStateEvent(
  b: Pick<BacktestBatch, 'id' | 'completed' | 'failed' | 'total' | 'status'>,
  child: string | Backtest | null,
  at: Date,
): BatchProgressEvent {
  const event: BatchProgressEvent = { batchId: b.id, completed: b.completed, failed: b.failed, total: b.total, status: b.status, backtestId: null, at };
  if (typeof child === 'string') event.backtestId = child;
  else if (child) Object.assign(event, { backtestId: child.id, backtest: child });
  return event;
}
