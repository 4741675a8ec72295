import { afterEach, describe, expect, it } from '@jest/globals';
import { generateRandomWalkCandles } from '../engine/testing/synthetic-candles.js';
import { createEnginePool, type EngineRunner } from './engine-pool.js';

let pool: EngineRunner | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('createEnginePool().start()', () => {
  it('resolves once every thread has loaded the engine: one confirmation from each thread, the same promise on a second call', async () => {
    pool = createEnginePool(2, { lazy: true });
    const ready = pool.start();
    expect(pool.start()).toBe(ready);
    const threadIds = await ready;
    expect(threadIds).toHaveLength(2);
    expect(new Set(threadIds).size).toBe(2);
    expect(threadIds.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
  });

  it('leaves the threads able to run: a backtest after it completes on one of them', async () => {
    pool = createEnginePool(1, { lazy: true });
    await pool.start();
    const outcome = await pool.run({
      candles: generateRandomWalkCandles(500, 7),
      strategy: { kind: 'SMA_CROSSOVER', params: { fast: 5, slow: 20 } },
      config: {},
      maxEquityPoints: 100,
    }).outcome;
    expect(outcome.type).toBe('done');
    expect(outcome.type === 'done' && outcome.barsProcessed).toBe(500);
  });
});

describe('createEnginePool().run() progress', () => {
  it('samples a long run’s progress from its shared control block: increasing bars, the right total, a finite equity', async () => {
    pool = createEnginePool(1, { progressPollMs: 1 });
    await pool.start();
    const bars = 500_000;
    const reports: Array<[number, number, number]> = [];
    const outcome = await pool.run(
      { candles: generateRandomWalkCandles(bars, 11), strategy: { kind: 'SMA_CROSSOVER', params: { fast: 5, slow: 20 } }, config: {}, maxEquityPoints: 100, progressEvery: 500 },
      (done, total, equity) => reports.push([done, total, equity]),
    ).outcome;
    expect(outcome.type).toBe('done');
    expect(reports.length).toBeGreaterThan(0);
    for (const [i, [done, total, equity]] of reports.entries()) {
      expect(total).toBe(bars);
      expect(done).toBeGreaterThan(i === 0 ? 0 : reports[i - 1]![0]);
      expect(done).toBeLessThanOrEqual(bars);
      expect(Number.isFinite(equity)).toBe(true);
    }
  });
});

