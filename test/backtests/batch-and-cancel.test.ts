import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createEnginePool } from '../../src/threads/engine-pool.js';
import {
  BacktestBatchDocument,
  BacktestBatchesDocument,
  BacktestResultDocument,
  BatchProgressDocument,
  CancelBacktestDocument,
  CreateStrategyDocument,
  RunBacktestBatchDocument,
  RunBacktestDocument,
} from '../../examples/generated/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { randomCandles } from '../helpers/candles.js';
import { uniqueName } from '../helpers/deps.js';
import { execute } from '../helpers/graphql.js';
import { collectSse } from '../helpers/sse.js';
import { startJobConsumer } from '../../src/jobs/consumer.js';
import { createRunService, startStack, type TestStack } from '../helpers/stack.js';

const HOUR = 3_600_000;
const START = Date.UTC(2023, 0, 2);
const BARS = 400;
const range = { from: new Date(START).toISOString(), to: new Date(START + BARS * HOUR).toISOString() };

const rawId = (id: string) => Buffer.from(id, 'base64').toString().split(':')[1]!;
const encodeId = (id: string) => Buffer.from(`Backtest:${id}`).toString('base64');

async function createStrategy(stack: TestStack, headers: Record<string, string>) {
  const res = await execute(stack.app, CreateStrategyDocument, { input: { name: 'EMA', kind: 'EMA_CROSSOVER', parameters: { fast: 5, slow: 15 } } }, headers);
  const s = res.body.data!.createStrategy;
  if (s.__typename !== 'Strategy') throw new Error(JSON.stringify(s));
  return s.id;
}

describe('runBacktestBatch', () => {
  let stack: TestStack;
  let trader: Record<string, string>;
  let traderOwner: string;
  const prefix = uniqueName('BAT');
  const symbols = Array.from({ length: 50 }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    stack = await startStack();
    ({ headers: trader, owner: traderOwner } = await createKeyHeader(stack.deps, 'trader'));
    for (const [i, symbol] of symbols.entries()) {
      await stack.deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(1000 + i, BARS, START, HOUR) });
    }
  });
  afterAll(async () => stack.close());

  it('runs 50 symbols with one candle fetch, streams each child’s result, and records a correct summary', async () => {
    const strategyId = await createStrategy(stack, trader);
    // Some instruments' aggregates behind their last ingest (TimescaleDB refreshes them in
    // the background): at the base interval they read the same blocks, in the same statement.
    await stack.deps.db.pool.query('UPDATE instrument SET aggregates_version = data_version - 1 WHERE symbol = ANY($1)', [symbols.slice(0, 10)]);
    const statements: string[] = [];
    const stop = stack.deps.db.onQuery((e) => statements.push(e.text));
    let events;
    try {
      const created = await execute(stack.app, RunBacktestBatchDocument, { input: { strategyId, symbols, interval: '1h', ...range, commission: 0.0005 } }, trader);
      const batch = created.body.data!.runBacktestBatch;
      if (batch.__typename !== 'BacktestBatch') throw new Error(JSON.stringify(batch));
      expect(batch.total).toBe(50);
      ({ events } = await collectSse(stack.app, BatchProgressDocument, { id: batch.id }, trader));
      const progress = events.map((e) => e.batchProgress);
      const childEvents = progress.filter((p) => p.backtest !== null);
      expect(new Set(childEvents.map((p) => p.backtest!.symbol))).toEqual(new Set(symbols));
      expect(childEvents).toHaveLength(50);
      expect(childEvents.every((p) => p.backtest!.status === 'COMPLETED')).toBe(true);
      expect(progress.at(-1)).toMatchObject({ status: 'COMPLETED', completed: 50, failed: 0, total: 50 });

      const stored = (await execute(stack.app, BacktestBatchDocument, { id: batch.id }, trader)).body.data!.backtestBatch!;
      const returns = childEvents.map((p) => ({ symbol: p.backtest!.symbol, r: p.backtest!.metrics!.totalReturn! }));
      returns.sort((a, b) => b.r - a.r);
      expect(stored).toMatchObject({ status: 'COMPLETED', completed: 50, failed: 0, total: 50 });
      expect(stored.summary!.averageReturn).toBeCloseTo(returns.reduce((s, x) => s + x.r, 0) / 50, 12);
      expect(stored.summary).toMatchObject({ bestSymbol: returns[0]!.symbol, bestReturn: returns[0]!.r, worstSymbol: returns[49]!.symbol, worstReturn: returns[49]!.r });
      expect(stored.dataFetchMs).toBeGreaterThanOrEqual(0);
      expect(stored.durationMs).toBeGreaterThanOrEqual(stored.dataFetchMs!);
    } finally {
      stop();
    }
    expect(statements.filter((s) => s.includes('findCandleBlocks'))).toHaveLength(1);
    expect(statements.filter((s) => s.includes('findCandleColumns ') || s.includes('findCandleColumns\n'))).toHaveLength(0);
  });

  it('answers an identical batch from the result cache at once, and a partly identical one for the children it can', async () => {
    const strategyId = await createStrategy(stack, trader);
    const input = { strategyId, symbols: symbols.slice(0, 20), interval: '1h', ...range, commission: 0.0007 };
    const first = (await execute(stack.app, RunBacktestBatchDocument, { input }, trader)).body.data!.runBacktestBatch;
    if (first.__typename !== 'BacktestBatch') throw new Error(JSON.stringify(first));
    await collectSse(stack.app, BatchProgressDocument, { id: first.id }, trader);
    const original = (await execute(stack.app, BacktestBatchDocument, { id: first.id }, trader)).body.data!.backtestBatch!;

    const statements: string[] = [];
    const stop = stack.deps.db.onQuery((e) => statements.push(e.text));
    const again = (await execute(stack.app, RunBacktestBatchDocument, { input }, trader)).body.data!.runBacktestBatch;
    stop();
    // Completed in the mutation itself: no job, no engine, no candle read.
    expect(again).toMatchObject({ __typename: 'BacktestBatch', status: 'COMPLETED', total: 20 });
    expect(statements.filter((q) => q.includes('findCandleBlocks') || q.includes('claimChildren'))).toEqual([]);
    if (again.__typename !== 'BacktestBatch') throw new Error();
    const cached = (await execute(stack.app, BacktestBatchDocument, { id: again.id }, trader)).body.data!.backtestBatch!;
    expect(cached).toMatchObject({ status: 'COMPLETED', completed: 20, failed: 0, summary: original.summary });
    const rows = await stack.deps.prisma.backtest.findMany({ where: { batchId: rawId(again.id) }, select: { fromCache: true, resultSourceId: true } });
    expect(rows.every((r) => r.fromCache && r.resultSourceId !== null)).toBe(true);
    // The cached child shows its source's trades.
    const [child] = await stack.deps.prisma.backtest.findMany({ where: { batchId: rawId(again.id), symbol: symbols[3] } });
    const source = await execute(stack.app, BacktestResultDocument, { id: encodeId(child!.resultSourceId!), first: 500 }, trader);
    const copy = await execute(stack.app, BacktestResultDocument, { id: encodeId(child!.id), first: 500 }, trader);
    expect(copy.body.data!.backtest!.trades.edges).toEqual(source.body.data!.backtest!.trades.edges);
    expect(copy.body.data!.backtest!.trades.edges.length).toBeGreaterThan(0);
    expect(copy.body.data!.backtest!.metrics).toEqual(source.body.data!.backtest!.metrics);

    // Ten known symbols and ten new ones: the ten are answered at once, the others run.
    const mixed = (await execute(stack.app, RunBacktestBatchDocument, { input: { ...input, symbols: symbols.slice(10, 30) } }, trader)).body.data!.runBacktestBatch;
    if (mixed.__typename !== 'BacktestBatch') throw new Error(JSON.stringify(mixed));
    const { events } = await collectSse(stack.app, BatchProgressDocument, { id: mixed.id }, trader);
    // The ten cached are counted from the start; the other ten may have finished before the
    // subscription opened (they run in this process), so the opening state shows 10 to 20.
    expect(events[0]!.batchProgress).toMatchObject({ total: 20 });
    expect(events[0]!.batchProgress.completed).toBeGreaterThanOrEqual(10);
    expect(events.at(-1)!.batchProgress).toMatchObject({ status: 'COMPLETED', completed: 20, failed: 0 });
    const fromCache = await stack.deps.prisma.backtest.groupBy({ by: ['fromCache'], where: { batchId: rawId(mixed.id) }, _count: true, orderBy: { fromCache: 'asc' } });
    expect(fromCache).toEqual([{ fromCache: false, _count: 10 }, { fromCache: true, _count: 10 }]);
  });

  it('lists the caller’s batches newest first, by status and strategy, paged, and none of another owner’s', async () => {
    const me = await createKeyHeader(stack.deps, 'trader');
    const other = await createKeyHeader(stack.deps, 'trader');
    const [s1, s2] = [await createStrategy(stack, me.headers), await createStrategy(stack, me.headers)];
    // A range before the data: every child ends FAILED (no candles), so the batch does.
    const empty = { from: new Date(START - 100 * HOUR).toISOString(), to: new Date(START - 50 * HOUR).toISOString() };
    const submitted: string[] = [];
    for (const [strategyId, span] of [[s1, range], [s2, range], [s1, empty]] as const) {
      const created = (await execute(stack.app, RunBacktestBatchDocument, { input: { strategyId, symbols: symbols.slice(0, 2), interval: '1h', ...span } }, me.headers)).body.data!.runBacktestBatch;
      if (created.__typename !== 'BacktestBatch') throw new Error(JSON.stringify(created));
      await collectSse(stack.app, BatchProgressDocument, { id: created.id }, me.headers);
      submitted.unshift(created.id); // newest first
    }
    const list = async (variables: Record<string, unknown>, headers = me.headers) => {
      const res = await execute(stack.app, BacktestBatchesDocument, variables, headers);
      expect(res.body.errors).toBeUndefined();
      return res.body.data!.backtestBatches;
    };
    const all = await list({ first: 10 });
    expect(all.edges.map((e) => e.node.id)).toEqual(submitted);
    expect(all.edges.map((e) => [e.node.status, e.node.total, e.node.completed, e.node.failed])).toEqual([
      ['FAILED', 2, 0, 2],
      ['COMPLETED', 2, 2, 0],
      ['COMPLETED', 2, 2, 0],
    ]);
    expect(all.edges[1]!.node).toMatchObject({ strategyKind: 'EMA_CROSSOVER', interval: '1h', from: range.from, to: range.to });
    expect(all.edges[1]!.node.summary!.averageReturn).toEqual(expect.any(Number));
    expect((await list({ first: 10, filter: { status: 'FAILED' } })).edges.map((e) => e.node.id)).toEqual([submitted[0]]);
    expect((await list({ first: 10, filter: { status: 'COMPLETED' } })).edges.map((e) => e.node.id)).toEqual(submitted.slice(1));
    expect((await list({ first: 10, filter: { strategyId: s1 } })).edges.map((e) => e.node.id)).toEqual([submitted[0], submitted[2]]);
    expect((await list({ first: 10, filter: { strategyId: s1, status: 'COMPLETED' } })).edges.map((e) => e.node.id)).toEqual([submitted[2]]);
    expect((await list({ first: 10, filter: { strategyId: 'not-a-strategy' } })).edges).toEqual([]);
    const page1 = await list({ first: 2 });
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await list({ first: 2, after: page1.pageInfo.endCursor });
    expect([...page1.edges, ...page2.edges].map((e) => e.node.id)).toEqual(submitted);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect((await list({ first: 10 }, other.headers)).edges).toEqual([]);
    const anonymous = await execute(stack.app, BacktestBatchesDocument, { first: 10 });
    expect(anonymous.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('rejects unknown symbols (listed), duplicates and oversized batches, creating nothing', async () => {
    const strategyId = await createStrategy(stack, trader);
    const before = await stack.deps.prisma.backtestBatch.count({ where: { owner: traderOwner } });
    const unknown = await execute(stack.app, RunBacktestBatchDocument, { input: { strategyId, symbols: [symbols[0]!, 'NOPE1', 'NOPE2'], interval: '1h', ...range } }, trader);
    const u = unknown.body.data!.runBacktestBatch;
    expect(u.__typename).toBe('ValidationError');
    if (u.__typename !== 'ValidationError') throw new Error();
    expect(u.issues.map((i) => i.path.join('.'))).toEqual(['symbols.1', 'symbols.2']);
    const dup = await execute(stack.app, RunBacktestBatchDocument, { input: { strategyId, symbols: [symbols[0]!, symbols[0]!], interval: '1h', ...range } }, trader);
    expect(dup.body.data!.runBacktestBatch).toMatchObject({ __typename: 'ValidationError', message: expect.stringMatching(/duplicates/) });
    const many = await execute(stack.app, RunBacktestBatchDocument, { input: { strategyId, symbols: Array.from({ length: 501 }, (_, i) => `S${i}`), interval: '1h', ...range } }, trader);
    expect(many.body.data!.runBacktestBatch).toMatchObject({ __typename: 'ValidationError', message: expect.stringMatching(/at most 500 symbols/) });
    expect(await stack.deps.prisma.backtestBatch.count({ where: { owner: traderOwner } })).toBe(before);
  });
});

describe('a batch run, statement by statement', () => {
  let stack: TestStack;
  let trader: Record<string, string>;
  const prefix = uniqueName('SQL');
  const symbols = Array.from({ length: 200 }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

  beforeAll(async () => {
    // No consumer: the test runs the batch job itself, so only the run's statements are counted.
    stack = await startStack({ consume: false });
    trader = (await createKeyHeader(stack.deps, 'trader')).headers;
    await stack.deps.services.marketData.ingestMany(symbols.map((symbol, i) => ({ symbol, baseInterval: '1h', candles: randomCandles(2000 + i, BARS, START, HOUR) })));
  });
  afterAll(async () => stack.close());

  it('claims, runs and finishes 200 children with a fixed number of statements per chunk, not per child', async () => {
    const strategyId = await createStrategy(stack, trader);
    const created = await execute(stack.app, RunBacktestBatchDocument, { input: { strategyId, symbols, interval: '1h', ...range } }, trader);
    const batch = created.body.data!.runBacktestBatch;
    if (batch.__typename !== 'BacktestBatch') throw new Error(JSON.stringify(batch));
    const batchId = Buffer.from(batch.id, 'base64').toString().split(':')[1]!;

    // The jobs run from here: the batch's start, then its chunk, on this stack's queue.
    const events = await stack.deps.pubsub.listen('batch', batchId);
    const statements: string[] = [];
    // The aggregates' background refresh after the setup's ingests (TimescaleDB) shares the
    // pool but is not the batch's work: not counted.
    const upkeep = /\/\* (findInstrumentsBehind|refreshContinuousAggregate|markAggregatesRefreshed) \*\//;
    const stop = stack.deps.db.onQuery((e) => upkeep.test(e.text) || statements.push(e.text));
    const started = performance.now();
    const consumer = await startJobConsumer(stack.deps, { resumeUnfinished: false });
    try {
      for await (const e of events) if (e.status === 'COMPLETED') break;
    } finally {
      stop();
      await events.close();
      await consumer.stop();
    }
    const elapsedMs = performance.now() - started;
    const rows = await stack.deps.prisma.backtest.groupBy({ by: ['status'], where: { batchId }, _count: true });
    expect(rows).toEqual([{ status: 'COMPLETED', _count: 200 }]);
    expect(await stack.deps.prisma.backtestResult.count({ where: { backtest: { batchId } } })).toBe(200);

    // 200 children are 4 chunks of 50 (at most BATCH_FETCH_SYMBOLS = 64). Per batch (its start): claim,
    // children = 2. Per chunk (its job): batch, strategy, claim, instruments, candles, and at
    // the end its fetch time and the batch's completion when it is the last = 6.
    // Per write of finished children — one per chunk, plus one per 250 ms the chunk takes
    // longer (results show up as they come) — one transaction: BEGIN, completions, the
    // packed results by COPY, ends UPDATE (when any), counters, COMMIT, then the written rows
    // for the batch events = at most 7. So 2 + 4·6 + 4·7 = 54 for this batch when each chunk
    // is one write (a dozen per child before). Measured: 49–50.
    const named = (name: string) => statements.filter((s) => s.includes(`/* ${name} */`)).length;
    const chunks = 4;
    const writes = named('countChildren');
    expect(named('claimChildren')).toBe(chunks);
    expect(named('findCandleBlocks')).toBe(chunks);
    expect(writes).toBeGreaterThanOrEqual(chunks);
    expect(writes).toBeLessThanOrEqual(chunks * (1 + Math.floor(elapsedMs / 250)));
    expect(named('writeOutcomes')).toBe(writes);
    expect(statements.filter((s) => s.startsWith('COPY backtest_result'))).toHaveLength(writes);
    expect(statements.length).toBeLessThanOrEqual(2 + 6 * chunks + 7 * writes);
  });
});

describe('cancelBacktest', () => {
  let stack: TestStack;
  let trader: Record<string, string>;
  const symbol = uniqueName('CAN');
  let strategyId: string;

  beforeAll(async () => {
    // No consumer: submitted backtests stay QUEUED until this test runs them itself.
    stack = await startStack({ consume: false });
    trader = (await createKeyHeader(stack.deps, 'trader')).headers;
    await stack.deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(5, BARS, START, HOUR) });
    strategyId = await createStrategy(stack, trader);
  });
  afterAll(async () => stack.close());

  async function submit(input: Partial<typeof range> = {}) {
    const res = await execute(stack.app, RunBacktestDocument, { input: { strategyId, symbol, interval: '1h', ...range, ...input } }, trader);
    const b = res.body.data!.runBacktest;
    if (b.__typename !== 'Backtest') throw new Error(JSON.stringify(b));
    return b;
  }

  it('cancels a QUEUED backtest at once and removes its job', async () => {
    const b = await submit();
    expect((await stack.deps.queue.counts()).waiting).toBeGreaterThanOrEqual(1);
    const res = await execute(stack.app, CancelBacktestDocument, { id: b.id }, trader);
    expect(res.body.data!.cancelBacktest).toMatchObject({ __typename: 'Backtest', status: 'CANCELLED' });
    const row = await stack.deps.prisma.backtest.findUniqueOrThrow({ where: { id: rawId(b.id) } });
    expect(row.status).toBe('CANCELLED');
    expect(row.cancelRequestedAt).not.toBeNull();
    const jobs = await stack.deps.queue.counts();
    expect(jobs.waiting).toBe(0);
  });

  it('announces a run that ends before its RUNNING announcement is due once, at its end: no RUNNING event just before its completion', async () => {
    // Its own range: a finished run would answer the other tests' identical submissions.
    const b = await submit({ to: new Date(START + (BARS - 1) * HOUR).toISOString() });
    const id = rawId(b.id);
    await stack.deps.queue.remove('backtest.run', { backtestId: id });
    const engine = createEnginePool(1);
    // A few milliseconds of engine over in-memory bars, against an announcement due after
    // a minute (in production PROGRESS_EVENT_MS: the same code path, a delay no busy CI
    // machine can outlast by accident).
    const bars = randomCandles(5, BARS, START, HOUR);
    const runs = createRunService(stack.deps, {
      engine,
      candles: { loadCandlesForRuns: async (ids: readonly number[]) => new Map([[ids[0]!, bars]]) },
      announceRunningAfterMs: 60_000,
    });
    const events = await stack.deps.pubsub.listen('backtest', id);
    try {
      // The thread started and the engine loaded first: progress events start PROGRESS_EVENT_MS
      // into a run, and a thread's start would count (other candles: a run takes its buffers).
      const warm = { candles: randomCandles(6, BARS, START, HOUR), strategy: { kind: 'SMA_CROSSOVER', parameters: {} }, config: {}, maxEquityPoints: 10 };
      expect((await engine.run(warm).outcome).type).toBe('done');
      await runs.runBacktest(id, { number: 1, isLast: true });
      const seen: string[] = [];
      for await (const e of events) {
        seen.push(e.status);
        if (e.status === 'COMPLETED') break;
      }
      expect(seen).toEqual(['COMPLETED']);
    } finally {
      await events.close();
      await engine.close();
    }
  });

  it('stops a RUNNING backtest within 1 s of the request', async () => {
    const b = await submit();
    const id = rawId(b.id);
    await stack.deps.queue.remove('backtest.run', { backtestId: id });
    // Run it here on a real engine thread, over 5 million bars of the slowest strategy. The run
    // service takes its candle source as a dependency; this one hands it 5 million generated
    // bars instead of the instrument's 400 (ingesting that many would take half a minute).
    // Database, queue, pub/sub and engine threads are the real ones.
    const engine = createEnginePool(1);
    const huge = randomCandles(9, 5_000_000, START, 60_000);
    const candles = { loadCandlesForRuns: async (ids: readonly number[]) => new Map([[ids[0]!, huge]]) };
    const runs = createRunService(stack.deps, { engine, candles });
    const cancellations = await runs.listenForCancellations();
    const slow = await stack.deps.prisma.strategy.create({ data: { owner: 'x', name: 'slow', kind: 'DONCHIAN_BREAKOUT', parameters: { entry: 20, exit: 10 } } });
    await stack.deps.prisma.backtest.update({ where: { id }, data: { strategyId: slow.id } });
    const events = await stack.deps.pubsub.listen('backtest', id);
    try {
      const running = runs.runBacktest(id, { number: 1, isLast: true });
      const started = (async () => {
        // From the RUNNING transition on, the cancel lands either before the engine starts (the
        // run's cancel switch is set before its claim) or inside it (the thread polls the shared flag).
        for await (const e of events) if (e.status === 'RUNNING') return e;
        return null;
      })();
      // Fails fast (instead of waiting forever) if the run ends or throws before it starts.
      const first = await Promise.race([started, running.then(async () => ({ ended: (await stack.deps.prisma.backtest.findUniqueOrThrow({ where: { id } })).status }))]);
      expect(first).toMatchObject({ status: 'RUNNING' });
      const asked = performance.now();
      const res = await execute(stack.app, CancelBacktestDocument, { id: b.id }, trader);
      const elapsed = performance.now() - asked;
      expect(res.body.data!.cancelBacktest).toMatchObject({ __typename: 'Backtest', status: 'CANCELLED' });
      expect(elapsed).toBeLessThan(1_000);
      await running;
      const final = await stack.deps.prisma.backtest.findUniqueOrThrow({ where: { id } });
      expect(final!.status).toBe('CANCELLED');
      expect(final!.barsProcessed).toBeLessThan(5_000_000);
    } finally {
      await events.close();
      await cancellations.close();
      await engine.close();
    }
  }, 60_000);
});
