import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runBacktest as runEngine, STRATEGY_KINDS } from '../../src/engine/index.js';
import {
  BacktestCompletedDocument,
  BacktestProgressDocument,
  BacktestResultDocument,
  BacktestsDocument,
  CancelBacktestDocument,
  CreateStrategyDocument,
  RunBacktestDocument,
} from '../../examples/generated/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { randomCandles } from '../helpers/candles.js';
import { uniqueName } from '../helpers/deps.js';
import { execute } from '../helpers/graphql.js';
import { collectSse } from '../helpers/sse.js';
import { startStack, type TestStack } from '../helpers/stack.js';

/**
 * runBacktest end to end through the HTTP handler with a real job consumer (BullMQ + Redis
 * on the services path, the in-process queue otherwise) and the engine on worker threads:
 * progress streams over SSE, results are stored and equal the engine's direct output.
 */
let stack: TestStack;
let trader: { owner: string; headers: Record<string, string> };
let other: { headers: Record<string, string> };
const HOUR = 3_600_000;
const START = Date.UTC(2023, 0, 2);
const N = 3_000;
const series = randomCandles(42, N, START, HOUR);
const symbol = uniqueName('BT');
let strategyId: string;

const range = { from: new Date(START).toISOString(), to: new Date(START + N * HOUR).toISOString() };

beforeAll(async () => {
  stack = await startStack();
  trader = await createKeyHeader(stack.deps, 'trader');
  other = await createKeyHeader(stack.deps, 'trader');
  await stack.deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: series });
  const created = await execute(stack.app, CreateStrategyDocument, { input: { name: 'SMA 5/20', kind: 'SMA_CROSSOVER', parameters: { fast: 5, slow: 20 } } }, trader.headers);
  if (created.body.data!.createStrategy.__typename !== 'Strategy') throw new Error('strategy not created');
  strategyId = created.body.data!.createStrategy.id;
});
afterAll(async () => stack.close());

async function run(input: Record<string, unknown>, headers = trader.headers) {
  const res = await execute(stack.app, RunBacktestDocument, { input: { strategyId, symbol, interval: '1h', ...range, ...input } as never }, headers);
  return res.body.data!.runBacktest;
}

/**
 * This trader's rows and this stack's queued jobs, once earlier tests' jobs have drained
 * (polls a condition, not a clock). Other test files write rows to the same database.
 */
async function counts() {
  for (;;) {
    const queue = await stack.deps.queue.counts();
    if (queue.waiting + queue.active + queue.delayed === 0) return { rows: await stack.deps.prisma.backtest.count({ where: { owner: trader.owner } }), queued: 0 };
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function queuedNow() {
  const queue = await stack.deps.queue.counts();
  return { rows: await stack.deps.prisma.backtest.count({ where: { owner: trader.owner } }), queued: queue.waiting + queue.active + queue.delayed };
}

describe('runBacktest', () => {
  it('queues, streams ordered progress ending in exactly one COMPLETED event, and stores the engine’s exact result', async () => {
    const queued = await run({ commission: 0.001, slippage: 0.0005 });
    if (queued.__typename !== 'Backtest') throw new Error(JSON.stringify(queued));
    expect(['QUEUED', 'RUNNING', 'COMPLETED']).toContain(queued.status);
    expect(queued.fromCache).toBe(false);

    const { events, errors } = await collectSse(stack.app, BacktestProgressDocument, { id: queued.id }, trader.headers);
    expect(errors).toEqual([]);
    const progress = events.map((e) => e.backtestProgress);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.filter((p) => p.status === 'COMPLETED')).toHaveLength(1);
    expect(progress.at(-1)!.status).toBe('COMPLETED');
    // Every id the API hands out is global: the event's id is the one runBacktest returned.
    expect(new Set(progress.map((p) => p.backtestId))).toEqual(new Set([queued.id]));
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThanOrEqual(progress[i - 1]!.progress);

    const result = (await execute(stack.app, BacktestResultDocument, { id: queued.id, first: 500, maxPoints: 100 }, trader.headers)).body.data!.backtest!;
    expect(result.status).toBe('COMPLETED');
    const direct = runEngine(series, { kind: 'SMA_CROSSOVER', params: { fast: 5, slow: 20 } }, { commission: 0.001, slippage: 0.0005 });
    for (const [name, value] of Object.entries(direct.metrics)) {
      const stored = (result.metrics as Record<string, number | null>)[name];
      if (value === null) expect(stored).toBeNull();
      else if (Number.isInteger(value)) expect(stored).toBe(value);
      else expect(stored).toBeCloseTo(value, 9);
    }
    expect(result.trades.edges).toHaveLength(Math.min(500, direct.tradeColumns.count));
    const t0 = direct.trades[0]!;
    expect(result.trades.edges[0]!.node).toMatchObject({ seq: 0, side: t0.side, entryTime: new Date(t0.entryTime).toISOString(), entryPrice: t0.entryPrice, exitPrice: t0.exitPrice, barsHeld: t0.barsHeld });
    expect(result.assumptions).toMatchObject({ fillTiming: 'NEXT_OPEN', commission: 0.001, slippage: 0.0005, initialCapital: 10000, periodsPerYearSource: 'OBSERVED' });
    expect(result.equityCurve.length).toBeLessThanOrEqual(100);
    expect(result.equityCurve[0]!.time).toBe(new Date(START).toISOString());
    expect(result.equityCurve.at(-1)!.equity).toBeCloseTo(direct.metrics.finalEquity!, 6);
    expect(result.startedAt).not.toBeNull();
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('answers an identical run on the same data from the result cache at once, and reruns after new data', async () => {
    const first = await run({ positionSize: 0.5 });
    if (first.__typename !== 'Backtest') throw new Error();
    await collectSse(stack.app, BacktestCompletedDocument, { id: first.id }, trader.headers);
    const again = await run({ positionSize: 0.5 });
    expect(again).toMatchObject({ __typename: 'Backtest', status: 'COMPLETED', fromCache: true, progress: 1 });
    if (again.__typename !== 'Backtest') throw new Error();
    const a = (await execute(stack.app, BacktestResultDocument, { id: first.id, first: 5 }, trader.headers)).body.data!.backtest!;
    const b = (await execute(stack.app, BacktestResultDocument, { id: again.id, first: 5 }, trader.headers)).body.data!.backtest!;
    expect(b.metrics).toEqual(a.metrics);
    expect(b.trades.edges).toEqual(a.trades.edges);
    // A late subscriber to a cached (finished) run still gets its terminal event.
    const late = await collectSse(stack.app, BacktestCompletedDocument, { id: again.id }, trader.headers);
    expect(late.events.map((e) => e.backtestCompleted.status)).toEqual(['COMPLETED']);

    // New data changes the data version: the same input runs again.
    const extra = randomCandles(43, 1, START + N * HOUR, HOUR);
    await stack.deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: extra });
    const afterIngest = await run({ positionSize: 0.5, to: new Date(START + (N + 1) * HOUR).toISOString() });
    expect(afterIngest).toMatchObject({ __typename: 'Backtest', fromCache: false });
  });

  const bad: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an unknown strategy', { strategyId: '00000000-0000-0000-0000-000000000000' }, 'NotFoundError', /Strategy/],
    ['an unknown symbol', { symbol: 'NOPE-NOPE' }, 'NotFoundError', /Instrument "NOPE-NOPE"/],
    ['a reversed range', { from: range.to, to: range.from }, 'ValidationError', /to: must be after from/],
    ['a range over MARKET_MAX_RANGE_BARS', { from: '1400-01-01T00:00:00Z', to: '2090-01-01T00:00:00Z' }, 'ValidationError', /spans \d+ stored 1h bars; one request may read at most 5000000 \(MARKET_MAX_RANGE_BARS\)/],
    ['an unknown interval', { interval: '7m' }, 'ValidationError', /interval/],
    ['an interval finer than the data', { interval: '15m' }, 'ValidationError', /finer than/],
    ['a negative commission', { commission: -0.1 }, 'ValidationError', /commission/],
    ['a position size above 1', { positionSize: 1.5 }, 'ValidationError', /positionSize/],
    ['zero capital', { initialCapital: 0 }, 'ValidationError', /initialCapital/],
    ['a range without candles', { from: '2010-01-01T00:00:00Z', to: '2010-02-01T00:00:00Z' }, 'NoDataError', /has no candles/],
  ];
  it.each(bad)('rejects %s with a typed error, creating and enqueueing nothing', async (_name, input, typename, message) => {
    const before = await counts();
    const result = await run(input);
    expect(result.__typename).toBe(typename);
    expect((result as { message: string }).message).toMatch(message);
    expect(await queuedNow()).toEqual(before);
  });

  it('rejects an unknown fill timing at the schema level', async () => {
    const res = await execute(stack.app, RunBacktestDocument, { input: { strategyId, symbol, interval: '1h', ...range, fillTiming: 'TOMORROW' as never } }, trader.headers);
    expect(res.body.errors![0]!.message).toMatch(/TOMORROW/);
  });
});

describe('ownership and cancellation', () => {
  it('hides a backtest from other owners: null on read, NotFound on cancel, an error on subscribe, absent from lists', async () => {
    const mine = await run({ commission: 0.002 });
    if (mine.__typename !== 'Backtest') throw new Error();
    expect((await execute(stack.app, BacktestResultDocument, { id: mine.id }, other.headers)).body.data!.backtest).toBeNull();
    const cancel = await execute(stack.app, CancelBacktestDocument, { id: mine.id }, other.headers);
    expect(cancel.body.data!.cancelBacktest).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const sub = await collectSse(stack.app, BacktestProgressDocument, { id: mine.id }, other.headers);
    expect(sub.events).toEqual([]);
    expect(JSON.stringify(sub.errors)).toMatch(/was not found/);
    const list = await execute(stack.app, BacktestsDocument, { first: 500 }, other.headers);
    expect(list.body.data!.backtests.edges.map((e) => e.node.id)).not.toContain(mine.id);
    const own = await execute(stack.app, BacktestsDocument, { first: 500, filter: { symbol } }, trader.headers);
    expect(own.body.data!.backtests.edges.map((e) => e.node.id)).toContain(mine.id);
  });

  it('refuses to cancel a finished backtest', async () => {
    const done = await run({ commission: 0.003 });
    if (done.__typename !== 'Backtest') throw new Error();
    await collectSse(stack.app, BacktestCompletedDocument, { id: done.id }, trader.headers);
    const res = await execute(stack.app, CancelBacktestDocument, { id: done.id }, trader.headers);
    expect(res.body.data!.cancelBacktest).toMatchObject({ __typename: 'BacktestFinishedError', code: 'BACKTEST_FINISHED' });
  });

  it('serves every strategy kind end to end', async () => {
    for (const kind of STRATEGY_KINDS) {
      const s = await execute(stack.app, CreateStrategyDocument, { input: { name: kind, kind: kind as never } }, trader.headers);
      if (s.body.data!.createStrategy.__typename !== 'Strategy') throw new Error();
      const res = await execute(stack.app, RunBacktestDocument, { input: { strategyId: s.body.data!.createStrategy.id, symbol, interval: '4h', ...range } }, trader.headers);
      if (res.body.data!.runBacktest.__typename !== 'Backtest') throw new Error(JSON.stringify(res.body));
      const done = await collectSse(stack.app, BacktestCompletedDocument, { id: res.body.data!.runBacktest.id }, trader.headers);
      expect(done.events.map((e) => e.backtestCompleted.status)).toEqual(['COMPLETED']);
    }
  });
});
