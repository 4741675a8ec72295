import type { ValidationIssue } from './types.js';

/**
 * Thrown by `runBacktest` when the candles, strategy or run configuration are invalid.
 * `issues` lists every problem with a path (prefixed `candles`, `strategy` or `config`),
 * so an API layer can map it to a ValidationError without re-validating.
 */
export class BacktestInputError extends Error {
  readonly code = 'BACKTEST_INPUT_INVALID';
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    super(`Invalid backtest input: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.name = 'BacktestInputError';
    this.issues = issues;
  }
}

/**
 * Thrown by `runBacktest` when its AbortSignal is aborted (checked before the run and at
 * least every 4,096 bars). A cancelled run returns no partial result, so nothing half
 * computed can be persisted by mistake; `barsProcessed` says how far it got.
 */
export class BacktestCancelledError extends Error {
  readonly code = 'BACKTEST_CANCELLED';
  readonly barsProcessed: number;
  readonly totalBars: number;

  constructor(barsProcessed: number, totalBars: number) {
    super(`Backtest cancelled after ${barsProcessed} of ${totalBars} bars`);
    this.name = 'BacktestCancelledError';
    this.barsProcessed = barsProcessed;
    this.totalBars = totalBars;
  }
}
