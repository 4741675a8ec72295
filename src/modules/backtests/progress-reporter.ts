import { backtestStateEvent, type BacktestProgressEvent } from './backtests.events.js';
import type { RunRow } from './backtests.store.js';

/**
 * Progress events per backtest: at most 5 a second, the first one PROGRESS_EVENT_MS after the
 * engine starts. None at the start or the last bar: the claim already announced RUNNING, and
 * the completion event, which follows at once, carries 100 %. A run shorter than that sends
 * none — an event just before the completion would cost a fan-out to every subscriber right
 * when the completion needs the API's CPU (1,000 SSE subscribers: ≈ 100 ms of it).
 */
export const PROGRESS_EVENT_MS = 200;
/** Progress written to a run's row at most once a second (readers poll less than dashboards). */
const PROGRESS_WRITE_MS = 1_000;

/**
 * Throttles a run's progress: events at most every PROGRESS_EVENT_MS (none at the last
 * bar), row writes (when given) at most every PROGRESS_WRITE_MS; ignores reports
 * after `stop` (they can trail the result on the thread's message port).
 */
export class ProgressReporter {
  private readonly started = performance.now();
  private lastEvent = this.started;
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
    if (barsProcessed === totalBars || t - this.lastEvent < PROGRESS_EVENT_MS) return;
    this.lastEvent = t;
    const progress = totalBars ? barsProcessed / totalBars : 0;
    const elapsed = (t - this.started) / 1000;
    void this.publish(
      backtestStateEvent({ ...this.run, status: 'RUNNING', progress, barsProcessed, totalBars, error: null }, this.now(), {
        equity,
        etaSeconds: progress > 0 ? (elapsed * (1 - progress)) / progress : null,
      }),
    );
    if (this.write && t - this.lastWrite >= PROGRESS_WRITE_MS) {
      this.lastWrite = t;
      this.write(progress, barsProcessed, totalBars).catch(() => undefined);
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
