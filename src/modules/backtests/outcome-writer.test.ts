import { describe, expect, it, jest } from '@jest/globals';
import { OutcomeWriter } from './outcome-writer.js';

/** Writes are recorded; each resolves when the test says so (no clock but jest's fake one). */
function recorder(options: { failOn?: string } = {}) {
  const writes: string[][] = [];
  const write = async (items: readonly string[]) => {
    writes.push([...items]);
    if (options.failOn && items.includes(options.failOn)) throw new Error(`write of ${options.failOn} failed`);
    return { crashed: items.find((i) => i.startsWith('crash')) ?? null, wrote: items.filter((i) => !i.startsWith('crash')) };
  };
  return { writes, write };
}

describe('OutcomeWriter', () => {
  it('writes waiting outcomes together once the window after the first one has passed', async () => {
    jest.useFakeTimers();
    try {
      const { writes, write } = recorder();
      const writer = new OutcomeWriter<string>(write, 250);
      writer.add('a', false);
      jest.advanceTimersByTime(100);
      writer.add('b', false);
      expect(writes).toEqual([]);
      jest.advanceTimersByTime(150);
      await Promise.resolve();
      expect(writes).toEqual([['a', 'b']]);
      writer.add('c', false);
      await writer.drain();
      expect(writes).toEqual([['a', 'b'], ['c']]);
      expect([...writer.wrote]).toEqual(['a', 'b', 'c']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('writes an urgent outcome at once, with whatever waits, one write after another', async () => {
    const { writes, write } = recorder();
    const writer = new OutcomeWriter<string>(write, 60_000);
    writer.add('a', false);
    writer.add('cancelled', true);
    writer.add('b', false);
    expect(await writer.drain()).toEqual({ crashed: null });
    expect(writes).toEqual([['a', 'cancelled'], ['b']]);
  });

  it('reports a crash, and a failed write from drain, writing nothing after it', async () => {
    const crashes = recorder();
    const writer = new OutcomeWriter<string>(crashes.write, 60_000);
    writer.add('crash: thread died', false);
    expect(await writer.drain()).toEqual({ crashed: 'crash: thread died' });

    const failing = recorder({ failOn: 'x' });
    const broken = new OutcomeWriter<string>(failing.write, 60_000);
    broken.add('x', true);
    broken.add('y', true);
    await expect(broken.drain()).rejects.toThrow('write of x failed');
    expect(failing.writes).toEqual([['x']]);
    expect(broken.wrote.size).toBe(0);
  });
});
