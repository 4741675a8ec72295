import type { BacktestStatus } from '../../examples/generated/graphql';

/** Every status of a backtest or batch, in lifecycle order. */
export const STATUSES: readonly BacktestStatus[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];

const FINISHED = new Set<string>(['COMPLETED', 'FAILED', 'CANCELLED']);

/** A backtest or batch in this status will not change any more. */
export const isFinished = (status: string): boolean => FINISHED.has(status);
