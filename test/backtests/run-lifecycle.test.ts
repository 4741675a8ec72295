import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withTransaction } from '../../src/db/transaction.js';
import { runBacktest as runEngine, type Candles } from '../../src/engine/index.js';
import type { BacktestRunDeps, BacktestRunService } from '../../src/modules/backtests/backtest-runs.service.js';
import type { BacktestProgressEvent, BatchProgressEvent } from '../../src/modules/backtests/backtests.events.js';
import { BacktestsStore } from '../../src/modules/backtests/backtests.store.js';
import { createEnginePool, type EngineRunner } from '../../src/threads/engine-pool.js';
import { BacktestBatchDocument, CancelBacktestDocument, CreateStrategyDocument, RunBacktestBatchDocument, UpdateStrategyDocument } from '../../examples/generated/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { randomCandles } from '../helpers/candles.js';
import { uniqueName } from '../helpers/deps.js';
import { execute } from '../helpers/graphql.js';
import { createRunService, startStack, type TestStack } from '../helpers/stack.js';

/**
 * The run lifecycle where things go wrong: a child cancelled mid-batch, a batch whose data
 * source fails (retried, or on its last attempt), and an attempt superseded by another.
 * Real database, queue, pub/sub and engine threads; only the candle source of a run service
 * is replaced where a test needs runs that are slow (millions of bars) or a source that fails.
 */
const HOUR = 3_600_000;
const START = Date.UTC(2023, 0, 2);
const BARS = 300;
const range = { from: new Date(START).toISOString(), to: new Date(START + BARS * HOUR).toISOString() };
const rawId = (id: string) => Buffer.from(id, 'base64').toString().split(':')[1]!;

let stack: TestStack;
let trader: Record<string, string>;
let engine: EngineRunner;
const prefix = uniqueName('LC');
const symbols = [0, 1, 2].map((i) => `${prefix}${i}`);

beforeAll(async () => {
  // No consumer: each test drives the run service itself.
  stack = await startStack({ consume: false });
  trader = (await createKeyHeader(stack.deps, 'trader')).headers;
  for (const [i, symbol] of symbols.entries()) {
    await stack.deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(300 + i, BARS, START, HOUR) });
  }
  // Progress sampled every millisecond: the first child's first report (the test's sign that it
  // is on the engine) comes as its simulation starts, leaving most of the run for the cancel.
  engine = createEnginePool(1, { progressPollMs: 1 });
});
afterAll(async () => {
  await engine.close();
  await stack.close();
});

const runService = (candles: BacktestRunDeps['candles']): BacktestRunService => createRunService(stack.deps, { engine, candles });

/** A batch over the three symbols (parameters make it unlike earlier ones: no result-cache hit). */
async function submitBatch(kind: string, parameters?: Record<string, number>): Promise<string> {
  return (await submitBatchOf(kind, parameters)).batchId;
}

async function submitBatchOf(kind: string, parameters?: Record<string, number>): Promise<{ batchId: string; strategyId: string }> {
  const s = await execute(stack.app, CreateStrategyDocument, { input: { name: kind, kind: kind as never, parameters } }, trader);
  if (s.body.data!.createStrategy.__typename !== 'Strategy') throw new Error(JSON.stringify(s.body));
  const strategyId = s.body.data!.createStrategy.id;
  const b = await execute(stack.app, RunBacktestBatchDocument, { input: { strategyId, symbols, interval: '1h', ...range } }, trader);
  const batch = b.body.data!.runBacktestBatch;
  if (batch.__typename !== 'BacktestBatch') throw new Error(JSON.stringify(batch));
  return { batchId: rawId(batch.id), strategyId };
}

/** A batch's start, then its one chunk (these batches have 3 children), as the jobs would run them. */
async function runWhole(runs: BacktestRunService, batchId: string, attempt: { number: number; isLast: boolean }) {
  await runs.runBatch(batchId, attempt);
  await runs.runBatchChunk(batchId, (await children(batchId)).map((c) => c.id), attempt);
}

const children = (batchId: string) =>
  stack.deps.prisma.backtest.findMany({ where: { batchId }, orderBy: { symbol: 'asc' }, select: { id: true, symbol: true, status: true, error: true } });

describe('a batch child cancelled while the batch runs', () => {
  it('ends CANCELLED within a second, while its siblings go on to complete', async () => {
    // Every child gets 3 million bars of the slowest strategy: seconds each on one thread.
    const slow = randomCandles(11, 3_000_000, START, 60_000);
    const copy = (c: Candles): Candles => ({ time: c.time.slice(), open: c.open.slice(), high: c.high.slice(), low: c.low.slice(), close: c.close.slice(), volume: c.volume.slice() });
    const runs = runService({ loadCandlesForRuns: async (ids) => new Map(ids.map((id) => [id, copy(slow)])) });
    const cancellations = await runs.listenForCancellations();
    const batchId = await submitBatch('DONCHIAN_BREAKOUT');
    const [first, , third] = await children(batchId);
    const firstEvents = await stack.deps.pubsub.listen('backtest', first!.id);
    const batchEvents: BatchProgressEvent[] = [];
    const batchListener = await stack.deps.pubsub.listen('batch', batchId);
    void (async () => {
      for await (const e of batchListener) batchEvents.push(e);
    })();
    try {
      const running = runWhole(runs, batchId, { number: 1, isLast: true });
      // The first child is on the engine: it reports progress (its siblings wait for the thread).
      for await (const e of firstEvents as AsyncIterable<BacktestProgressEvent>) if (e.status === 'RUNNING' && e.barsProcessed > 0) break;
      const asked = performance.now();
      const res = await execute(stack.app, CancelBacktestDocument, { id: first!.id }, trader);
      expect(performance.now() - asked).toBeLessThan(1_000);
      expect(res.body.data!.cancelBacktest).toMatchObject({ __typename: 'Backtest', status: 'CANCELLED' });
      // Cancelled before it ever ran: a sibling waiting for the thread.
      await execute(stack.app, CancelBacktestDocument, { id: third!.id }, trader);
      await running;
      const final = await children(batchId);
      expect(final.map((c) => c.status)).toEqual(['CANCELLED', 'COMPLETED', 'CANCELLED']);
      const batch = await stack.deps.prisma.backtestBatch.findUniqueOrThrow({ where: { id: batchId } });
      expect(batch).toMatchObject({ status: 'COMPLETED', completed: 1, failed: 2, total: 3 });
      // One event per child, counters never going backwards, then the terminal one.
      const perChild = batchEvents.filter((e) => e.backtestId !== null);
      expect(new Set(perChild.map((e) => e.backtestId))).toEqual(new Set(final.map((c) => c.id)));
      expect(perChild.map((e) => e.completed + e.failed)).toEqual([1, 2, 3]);
      expect(batchEvents.at(-1)).toMatchObject({ status: 'COMPLETED', backtestId: null, completed: 1, failed: 2 });
    } finally {
      await firstEvents.close();
      await batchListener.close();
      await cancellations.close();
    }
  }, 60_000);
});

describe('a strategy changed after a batch was submitted (finding 5)', () => {
  it('runs and reports the parameters submitted, not the strategy’s new ones', async () => {
    const submitted = { fast: 4, slow: 17 };
    const changed = { fast: 9, slow: 41 };
    const { batchId, strategyId } = await submitBatchOf('SMA_CROSSOVER', submitted);
    const update = await execute(stack.app, UpdateStrategyDocument, { input: { id: strategyId, parameters: changed } }, trader);
    expect(update.body.data!.updateStrategy).toMatchObject({ __typename: 'Strategy', parameters: changed });
    await runWhole(runService(stack.deps.services.marketData), batchId, { number: 1, isLast: true });

    const read = async (id: string) => (await execute(stack.app, BacktestBatchDocument, { id: Buffer.from(`BacktestBatch:${id}`).toString('base64') }, trader)).body.data!.backtestBatch!;
    const batch = await read(batchId);
    expect(batch).toMatchObject({ status: 'COMPLETED', strategyKind: 'SMA_CROSSOVER', parameters: submitted });
    const children = batch.backtests.edges.map((e) => e.node);
    expect(children.map((c) => c.parameters)).toEqual([submitted, submitted, submitted]);
    expect(children.every((c) => c.strategy.parameters && JSON.stringify(c.strategy.parameters) === JSON.stringify(changed))).toBe(true);

    // The same symbols run with the changed parameters give other results: the first batch
    // did not run with them.
    const other = await submitBatch('SMA_CROSSOVER', changed);
    await runWhole(runService(stack.deps.services.marketData), other, { number: 1, isLast: true });
    const returns = (b: Awaited<ReturnType<typeof read>>) => b.backtests.edges.map((e) => e.node.metrics!.totalReturn);
    expect(returns(await read(other))).not.toEqual(returns(batch));
  });
});

describe('a batch whose candle source fails', () => {
  const failing = { loadCandlesForRuns: async (): Promise<Map<number, Candles>> => { throw new Error('connection terminated unexpectedly'); } };

  it('puts its children back to QUEUED and the batch stays RUNNING when another attempt follows', async () => {
    const batchId = await submitBatch('SMA_CROSSOVER');
    await expect(runWhole(runService(failing), batchId, { number: 1, isLast: false })).rejects.toThrow(/connection terminated/);
    expect((await children(batchId)).map((c) => c.status)).toEqual(['QUEUED', 'QUEUED', 'QUEUED']);
    expect(await stack.deps.prisma.backtestBatch.findUniqueOrThrow({ where: { id: batchId } })).toMatchObject({ status: 'RUNNING' });
    // The next attempt, with a working source, finishes it.
    await runWhole(runService(stack.deps.services.marketData), batchId, { number: 2, isLast: false });
    expect((await children(batchId)).map((c) => c.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(await stack.deps.prisma.backtestBatch.findUniqueOrThrow({ where: { id: batchId } })).toMatchObject({ status: 'COMPLETED', completed: 3, failed: 0 });
  });

  it('fails its children and the batch on the last attempt: nothing is left QUEUED or RUNNING, and the batch says FAILED', async () => {
    const batchId = await submitBatch('EMA_CROSSOVER');
    const batchListener = await stack.deps.pubsub.listen('batch', batchId);
    try {
      await expect(runWhole(runService(failing), batchId, { number: 3, isLast: true })).rejects.toThrow(/connection terminated/);
      const final = await children(batchId);
      expect(final.map((c) => c.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
      expect(final.every((c) => c.error === 'internal error while running the backtest')).toBe(true);
      // Every child failed: the batch did not complete anything (it used to say COMPLETED).
      expect(await stack.deps.prisma.backtestBatch.findUniqueOrThrow({ where: { id: batchId } })).toMatchObject({ status: 'FAILED', completed: 0, failed: 3 });
      // Subscribers hear it as the terminal event.
      let terminal: BatchProgressEvent | undefined;
      for await (const e of batchListener as AsyncIterable<BatchProgressEvent>) if (e.status !== 'RUNNING' && e.status !== 'QUEUED') { terminal = e; break; }
      expect(terminal).toMatchObject({ status: 'FAILED', completed: 0, failed: 3, total: 3 });
    } finally {
      await batchListener.close();
    }
  });
});

describe('an attempt superseded by another (a stalled job picked up while its first worker lives)', () => {
  it('writes nothing once another attempt has claimed the run', async () => {
    const batchId = await submitBatch('BUY_AND_HOLD');
    const [child] = await children(batchId);
    const store = new BacktestsStore(stack.deps.db);
    const first = (await store.claimChildren(batchId, [child!.id], new Date()))[0]!;
    const second = (await store.claimChildren(batchId, [child!.id], new Date()))[0]!;
    expect(second.attempts).toBe(first.attempts + 1);
    const end = (run: typeof first, status: 'FAILED' | 'CANCELLED') => ({ id: run.id, attempts: run.attempts, status, error: status === 'FAILED' ? 'x' : null, barsProcessed: 0, finishedAt: new Date(), durationMs: 1 });
    // The superseded attempt's write matches nothing…
    expect(await store.writeEnds(stack.deps.db.pool, [end(first, 'FAILED')])).toEqual(new Set());
    expect((await children(batchId))[0]!.status).toBe('RUNNING');
    // …the current one's ends the run, once.
    expect(await store.writeEnds(stack.deps.db.pool, [end(second, 'CANCELLED')])).toEqual(new Set([child!.id]));
    expect(await store.writeEnds(stack.deps.db.pool, [end(second, 'FAILED')])).toEqual(new Set());
    expect((await children(batchId))[0]!.status).toBe('CANCELLED');
  });

  it('stores a result only for the attempt that holds the run, once', async () => {
    const batchId = await submitBatch('SMA_CROSSOVER', { fast: 4, slow: 13 });
    const [child] = await children(batchId);
    const store = new BacktestsStore(stack.deps.db);
    const first = (await store.claimChildren(batchId, [child!.id], new Date()))[0]!;
    const second = (await store.claimChildren(batchId, [child!.id], new Date()))[0]!;
    const engine = runEngine(randomCandles(5, 400, START, HOUR), { kind: 'SMA_CROSSOVER', params: { fast: 3, slow: 9 } });
    const result = (run: typeof first, commission: number) => ({
      id: run.id,
      attempts: run.attempts,
      barsProcessed: 400,
      totalBars: 400,
      metrics: { ...engine.metrics, totalFees: commission },
      assumptions: engine.assumptions,
      equity: { time: engine.equity.time, equity: engine.equity.equity, drawdown: engine.equity.drawdown },
      trades: engine.tradeColumns,
      startedAt: new Date(),
      finishedAt: new Date(),
      durationMs: 5,
    });
    const write = (r: ReturnType<typeof result>) => withTransaction(stack.deps.db.pool, (client) => store.writeOutcomes(client, [r], []));
    expect((await write(result(first, 1))).completed).toEqual(new Set());
    expect(await stack.deps.prisma.backtestResult.count({ where: { backtestId: child!.id } })).toBe(0);
    expect((await write(result(second, 2))).completed).toEqual(new Set([child!.id]));
    expect((await write(result(second, 3))).completed).toEqual(new Set()); // COMPLETED now: nothing more
    const row = await stack.deps.prisma.backtest.findUniqueOrThrow({ where: { id: child!.id }, include: { result: true } });
    expect(row).toMatchObject({ status: 'COMPLETED', metrics: expect.objectContaining({ totalFees: 2 }) });
    expect(row.result!.tradeCount).toBe(engine.tradeColumns.count);
  });
});
