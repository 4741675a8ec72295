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
