import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { BacktestProgressEvent } from './backtests.events.js';
import type { RunRow } from './backtests.store.js';
import { PROGRESS_EVENT_MS, ProgressReporter } from './progress-reporter.js';

const run = { id: 'b1', status: 'RUNNING', progress: 0, barsProcessed: 0, totalBars: 0, error: null } as RunRow;

/** A reporter whose events and row writes are recorded; jest's fake clock drives performance.now(). */
function reporter() {
  const events: BacktestProgressEvent[] = [];
  const writes: number[] = [];
  const progress = new ProgressReporter(
    run,
    async (event) => void events.push(event),
    async (_p, bars) => void writes.push(bars),
    () => new Date(Date.UTC(2026, 0, 1)),
  );
  return { progress, events, writes };
}

describe('ProgressReporter', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends nothing for a run shorter than PROGRESS_EVENT_MS: the completion event follows at once', () => {
    const { progress, events, writes } = reporter();
    progress.report(1, 1_000, 100);
    jest.advanceTimersByTime(PROGRESS_EVENT_MS - 1);
    progress.report(500, 1_000, 101);
    jest.advanceTimersByTime(5);
    progress.report(1_000, 1_000, 102); // the last bar: never an event
    expect(events).toEqual([]);
    expect(writes).toEqual([]);
  });

  it('sends at most one event per PROGRESS_EVENT_MS, none at the last bar, with progress and an ETA', () => {
    const { progress, events, writes } = reporter();
    for (let bars = 1; bars < 1_000; bars++) {
      jest.advanceTimersByTime(1); // a bar a millisecond: 999 ms
      progress.report(bars, 1_000, 100 + bars);
    }
    progress.report(1_000, 1_000, 1_100);
    expect(events.map((e) => e.barsProcessed)).toEqual([200, 400, 600, 800]);
    expect(events[0]).toMatchObject({ backtestId: 'b1', status: 'RUNNING', progress: 0.2, totalBars: 1_000, equity: 300 });
    expect(events[0]!.etaSeconds).toBeCloseTo(0.8, 5);
    expect(writes).toEqual([200]); // the row at most once a second
  });

  it('ignores reports after stop (they trail the result on the thread’s port)', () => {
    const { progress, events } = reporter();
    progress.stop();
    jest.advanceTimersByTime(PROGRESS_EVENT_MS * 2);
    progress.report(10, 1_000, 100);
    expect(events).toEqual([]);
  });
});
