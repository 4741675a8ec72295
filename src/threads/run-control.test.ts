import { describe, expect, it } from '@jest/globals';
import { RunControl } from './run-control.js';

describe('RunControl', () => {
  it('hands the latest progress to a reader once per change, and shares it through its buffer', () => {
    const caller = new RunControl();
    const thread = new RunControl(caller.buffer);
    expect(caller.readProgress(0)).toBeNull(); // nothing written yet
    thread.writeProgress(100, 1_000, 10_050.5);
    const first = caller.readProgress(0)!;
    expect(first).toEqual({ seq: 2, barsProcessed: 100, totalBars: 1_000, equity: 10_050.5 });
    expect(caller.readProgress(first.seq)).toBeNull(); // unchanged since
    thread.writeProgress(200, 1_000, 9_990);
    thread.writeProgress(300, 1_000, 10_100);
    expect(caller.readProgress(first.seq)).toEqual({ seq: 6, barsProcessed: 300, totalBars: 1_000, equity: 10_100 });
  });

  it('gives nothing while a write is in progress (an odd sequence number)', () => {
    const control = new RunControl();
    control.writeProgress(1, 2, 3);
    Atomics.add(new Int32Array(control.buffer, 0, 2), 1, 1); // a writer between its two increments
    expect(control.readProgress(2)).toBeNull();
    expect(control.readProgress(0)).toBeNull();
  });

  it('carries a cancel to the other side', () => {
    const caller = new RunControl();
    const thread = new RunControl(caller.buffer);
    expect(thread.cancelled).toBe(false);
    caller.cancel();
    expect(thread.cancelled).toBe(true);
  });
});
