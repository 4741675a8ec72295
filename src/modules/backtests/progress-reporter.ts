import { backtestStateEvent, type BacktestProgressEvent } from './backtests.events.js';
import type { RunRow } from './backtests.store.js';

/** Progress events per backtest: at most 5 a second, plus the first and the last. */
export const PROGRESS_EVENT_MS = 200;
/** Progress written to a run's row at most once a second (readers poll less than dashboards). */
const PROGRESS_WRITE_MS = 1_000;

/**
 * Throttles a run's progress: events at most every PROGRESS_EVENT_MS (plus the first and
 * the last bar), row writes (when given) at most every PROGRESS_WRITE_MS; ignores reports
 * after `stop` (they can trail the result on the thread's message port).
 */
export class ProgressReporter {
  private readonly started = performance.now();
  private lastEvent = -Infinity;
  private lastWrite = -Infinity;
  private stopped = false;

  constructor(
    private readonly run: RunRow,
    private readonly publish: (event: BacktestProgressEvent) => Promise<void>,
    private readonly write: ((progress: number, barsProcessed: number, totalBars: number) => Promise<void>) | null,
    private readonly now: () => Date,
  ) {}

  report(barsProcessed: number, totalBars: number, equity: number): void {
    if (this.stopped) return;
    const t = performance.now();
    const last = barsProcessed === totalBars;
    if (!last && barsProcessed !== 1 && t - this.lastEvent < PROGRESS_EVENT_MS) return;
    this.lastEvent = t;
    const progress = totalBars ? barsProcessed / totalBars : 0;
    const elapsed = (t - this.started) / 1000;
    void this.publish(
      backtestStateEvent({ ...this.run, status: 'RUNNING', progress, barsProcessed, totalBars, error: null }, this.now(), {
        equity,
        etaSeconds: progress > 0 ? (elapsed * (1 - progress)) / progress : null,
      }),
    );
    if (this.write && !last && t - this.lastWrite >= PROGRESS_WRITE_MS) {
      this.lastWrite = t;
      this.write(progress, barsProcessed, totalBars).catch(() => undefined);
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
