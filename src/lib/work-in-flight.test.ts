import { describe, expect, it } from '@jest/globals';
import { WorkInFlight } from './work-in-flight.js';

describe('WorkInFlight', () => {
  it('answers at once when nothing is in flight, and otherwise once the last piece ends', async () => {
    const work = new WorkInFlight();
    expect(await work.whenIdle()).toBe(false);
    work.begin();
    work.begin();
    let idle: boolean | null = null;
    const waiting = work.whenIdle().then((waited) => (idle = waited));
    work.end();
    await Promise.resolve();
    expect(idle).toBeNull(); // one still in flight
    work.end();
    await waiting;
    expect(idle).toBe(true);
    expect(await work.whenIdle()).toBe(false);
  });
});
