import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Runtime } from '../../src/deps.js';
import { CandleCache } from '../../src/modules/market-data/candle-cache.js';
import { InstrumentRepository } from '../../src/modules/market-data/instrument.repository.js';
import { MarketDataService } from '../../src/modules/market-data/market-data.service.js';
import { randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { describeWithRedis } from '../helpers/redis.js';

/**
 * The candle cache of backtest reads: L1 in process, L2 in Redis. Keys carry the data
 * version, so an ingest is seen by the next read on both levels; Redis down means L2 is
 * bypassed and reads stay right; after an ingest a process that runs backtests re-caches
 * the ranges it read; a process that runs backtests copies what it read to Redis once it
 * is idle.
 */
const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);
const BARS = 500;
const from = new Date(START);
const to = new Date(START + BARS * HOUR);

async function ingest(deps: Runtime, symbol: string, seed: number, n = BARS, start = START) {
  return (await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(seed, n, start, HOUR) })).instrumentId;
}

/** Statements a read issued, by name. */
async function countStatements(deps: Runtime, read: () => Promise<unknown>) {
  const statements: string[] = [];
  const stop = deps.db.onQuery((e) => statements.push(e.text));
  try {
    await read();
  } finally {
    stop();
  }
  return { total: statements.length, blockReads: statements.filter((s) => s.includes('/* findCandleBlocks */')).length };
}

describe('candle cache, in process (L1)', () => {
  let deps: Runtime;
  beforeAll(async () => {
    deps = await createTestDeps({ REDIS_URL: undefined });
  });
  afterAll(async () => deps.close());

  it('serves a repeated read from memory, and a read after an ingest with the new bars', async () => {
    const symbol = uniqueName('C1');
    const id = await ingest(deps, symbol, 1);
    const read = () => deps.services.marketData.loadCandlesForRuns([id], '1h', from, to);
    const first = (await read()).get(id)!;
    const before = deps.services.marketData.candleCacheStats().l1;
    const again = await countStatements(deps, read);
    expect(again).toEqual({ total: 1, blockReads: 0 }); // the instrument's data version, nothing else
    expect(deps.services.marketData.candleCacheStats().l1.hits).toBe(before.hits + 1);
    expect((await read()).get(id)!.time.buffer).toBe(first.time.buffer); // the same shared memory

    // A changed bar: a new data version, so the cached series is never read again.
    const changed = randomCandles(2, 1, START + 10 * HOUR, HOUR);
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: changed });
    const after = await countStatements(deps, read);
    expect(after.blockReads).toBe(1);
    const fresh = (await read()).get(id)!;
    expect(fresh.close[10]).toBe(changed.close[0]);
    expect(fresh.close[11]).toBe(first.close[11]);
  });

  it('bypasses an unreachable Redis: reads stay right, the failures are counted', async () => {
    const broken = await createTestDeps({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const id = await ingest(broken, uniqueName('C2'), 3);
      const read = () => broken.services.marketData.loadCandlesForRuns([id], '1h', from, to);
      const candles = (await read()).get(id)!;
      expect(candles.time).toHaveLength(BARS);
      expect(candles.close[BARS - 1]).toBe(randomCandles(3, BARS, START, HOUR).close[BARS - 1]);
      expect((await read()).get(id)!.close).toEqual(candles.close);
      expect(broken.services.marketData.candleCacheStats().l2!.errors).toBeGreaterThanOrEqual(1);
    } finally {
      await broken.close();
    }
  });
});

describeWithRedis('candle cache, shared (L2 in Redis)', () => {
  let first: Runtime;
  let second: Runtime;
  beforeAll(async () => {
    const prefix = `${uniqueName('cc')}:`;
    first = await createTestDeps({ REDIS_KEY_PREFIX: prefix });
    second = await createTestDeps({ REDIS_KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it('serves another process from Redis, and after an ingest misses there until the new version is read', async () => {
    const symbol = uniqueName('C3');
    const id = await ingest(first, symbol, 4);
    const readIn = (deps: Runtime) => () => deps.services.marketData.loadCandlesForRuns([id], '1h', from, to);
    const original = (await readIn(first)()).get(id)!;
    await first.services.marketData.candleCacheSettled(); // the write to Redis is not awaited by the read
    const viaRedis = await countStatements(second, readIn(second));
    expect(viaRedis.blockReads).toBe(0);
    expect(second.services.marketData.candleCacheStats().l2).toMatchObject({ hits: 1, errors: 0 });
    expect(Array.from((await readIn(second)()).get(id)!.close)).toEqual(Array.from(original.close));

    await first.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(5, 1, START, HOUR) });
    const afterIngest = await countStatements(second, readIn(second));
    expect(afterIngest.blockReads).toBe(1); // the new version is in neither level yet
    expect((await readIn(second)()).get(id)!.close[0]).toBe(randomCandles(5, 1, START, HOUR).close[0]);
  });
});

describeWithRedis('candle cache, shared by a busy process', () => {
  let deps: Runtime;
  let other: Runtime;
  let third: Runtime;
  beforeAll(async () => {
    const prefix = `${uniqueName('cb')}:`;
    deps = await createTestDeps({ REDIS_KEY_PREFIX: prefix });
    other = await createTestDeps({ REDIS_KEY_PREFIX: prefix });
    third = await createTestDeps({ REDIS_KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    await deps.close();
    await other.close();
    await third.close();
  });

  it('copies what it read to Redis only once its engine is idle, so a batch’s reads do not pay for it', async () => {
    // This process's market data over the same database, Redis and pub/sub, with an engine
    // the test keeps busy until it says.
    let release!: () => void;
    const busy = new Promise<void>((resolve) => (release = resolve));
    let working = true;
    const service = new MarketDataService({
      db: deps.db,
      instruments: new InstrumentRepository(deps.prisma),
      cache: new CandleCache({ l1MaxBytes: 64 * 2 ** 20, l2: deps.cacheStore, logger: deps.logger }),
      pubsub: deps.pubsub,
      dialect: deps.dialect,
      logger: deps.logger,
      config: deps.config.market,
      engine: {
        whenIdle: async () => {
          if (!working) return false;
          await busy;
          working = false;
          return true;
        },
      },
    });
    const id = await ingest(deps, uniqueName('C6'), 9);
    await service.loadCandlesForRuns([id], '1h', from, to);
    const settled = service.candleCacheSettled();
    const read = () => other.services.marketData.loadCandlesForRuns([id], '1h', from, to);
    expect((await countStatements(other, read)).blockReads).toBe(1); // not in Redis while the engine works
    release();
    await settled;
    // A process that has not read it yet finds it in Redis now (`other` has it in memory).
    expect((await countStatements(third, () => third.services.marketData.loadCandlesForRuns([id], '1h', from, to))).blockReads).toBe(0);
    expect(third.services.marketData.candleCacheStats().l2).toMatchObject({ hits: 1, errors: 0 });
  });
});

describeWithRedis('candle cache, filled from another process', () => {
  let reader: Runtime;
  let peer: Runtime;
  beforeAll(async () => {
    const prefix = `${uniqueName('cf')}:`;
    reader = await createTestDeps({ REDIS_KEY_PREFIX: prefix });
    peer = await createTestDeps({ REDIS_KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    await reader.close();
    await peer.close();
  });

  it('copies what another process read from the database into its own memory, so its next read needs neither', async () => {
    const warming = await peer.services.marketData.keepCacheWarm();
    try {
      const symbol = uniqueName('C5');
      const id = await ingest(reader, symbol, 8);
      const read = (deps: Runtime) => deps.services.marketData.loadCandlesForRuns([id], '1h', from, to);
      const entries = peer.services.marketData.candleCacheStats().l1.entries;
      const original = (await read(reader)).get(id)!;
      // The peer fills its L1 in the background once the reader announces the range: wait for that (a condition, not a clock).
      while (peer.services.marketData.candleCacheStats().l1.entries === entries) await new Promise((resolve) => setImmediate(resolve));
      const l2 = peer.services.marketData.candleCacheStats().l2!;
      const fromMemory = await countStatements(peer, () => read(peer));
      expect(fromMemory.blockReads).toBe(0);
      expect(peer.services.marketData.candleCacheStats().l2).toEqual(l2); // not even Redis
      expect(Array.from((await read(peer)).get(id)!.close)).toEqual(Array.from(original.close));
    } finally {
      await warming.close();
    }
  });
});

describe('warming after an ingest', () => {
  let deps: Runtime;
  beforeAll(async () => {
    deps = await createTestDeps({ REDIS_URL: undefined });
  });
  afterAll(async () => deps.close());

  it('re-caches the ranges a process read, so the next read after an ingest is served from memory', async () => {
    const warming = await deps.services.marketData.keepCacheWarm();
    try {
      const symbol = uniqueName('C4');
      const id = await ingest(deps, symbol, 6);
      const read = () => deps.services.marketData.loadCandlesForRuns([id], '1h', from, to);
      await read();
      const entries = deps.services.marketData.candleCacheStats().l1.entries;
      await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(7, 1, START + HOUR, HOUR) });
      // Warming runs in the background: wait until it has cached the new version (a condition, not a clock).
      while (deps.services.marketData.candleCacheStats().l1.entries === entries) await new Promise((resolve) => setImmediate(resolve));
      const warm = await countStatements(deps, read);
      expect(warm.blockReads).toBe(0);
      expect((await read()).get(id)!.close[1]).toBe(randomCandles(7, 1, START + HOUR, HOUR).close[0]);
    } finally {
      await warming.close();
    }
  });
});
