import { describe, expect, it } from '@jest/globals';
import { whenQueueIdle, type JobQueue } from './queue.js';

type Counts = Awaited<ReturnType<JobQueue['counts']>>;
const counts = (waiting: number, active: number): Counts => ({ waiting, active, delayed: 0, failed: 0 });

/** A queue whose counts come from a script, one per call (the last one repeats). */
function scripted(script: Array<Counts | Error>) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    counts: async () => {
      const next = script[Math.min(calls++, script.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

describe('whenQueueIdle', () => {
  it('is idle at once when nothing waits or runs (delayed and failed jobs do not count)', async () => {
    const queue = scripted([{ waiting: 0, active: 0, delayed: 3, failed: 7 }]);
    expect(await whenQueueIdle(queue, { pollMs: 1 })).toBe(false);
    expect(queue.calls).toBe(1);
  });

  it('waits while jobs wait or run, in any process, and says it waited', async () => {
    const queue = scripted([counts(2, 0), counts(0, 1), counts(0, 0)]);
    expect(await whenQueueIdle(queue, { pollMs: 1 })).toBe(true);
    expect(queue.calls).toBe(3);
  });

  it('counts a failing count (Redis down) as idle: background work is put off, never blocked', async () => {
    const queue = scripted([counts(1, 0), new Error('redis unreachable')]);
    expect(await whenQueueIdle(queue, { pollMs: 1 })).toBe(true);
    expect(queue.calls).toBe(2);
  });

  it('stops polling once its signal is aborted, however busy the queue stays', async () => {
    const queue = scripted([counts(0, 4)]);
    const stop = new AbortController();
    const waiting = whenQueueIdle(queue, { pollMs: 1, signal: stop.signal });
    while (queue.calls < 3) await new Promise((resolve) => setImmediate(resolve));
    stop.abort();
    expect(await waiting).toBe(true);
    const polled = queue.calls;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(queue.calls).toBe(polled);
  });
});
