import { createHash } from 'node:crypto';
import type { Viewer } from '../../context.js';
import type { Database } from '../../db/pool.js';
import type { PrismaClient } from '../../db/prisma.js';
import { validateRunConfig, type RunConfig } from '../../engine/index.js';
import type { Backtest, BacktestBatch, Prisma } from '../../generated/prisma/client.js';
import type { PubSub } from '../../graphql/pubsub.js';
import type { JobQueue } from '../../jobs/queue.js';
import { NotFoundError, ValidationError, type ValidationIssue } from '../../lib/errors.js';
import { INTERVALS, isIntervalName } from '../../lib/intervals.js';
import type { Logger } from '../../lib/logger.js';
import { planCandleQuery } from '../market-data/market-data.service.js';
import { hasCandles } from '../market-data/candle.store.js';
import { createStrategiesRepository } from '../strategies/strategies.repository.js';
import { getStrategy, isUuid, visibleOwner } from '../strategies/strategies.service.js';
import { BacktestFinishedError, NoDataError, QueueUnavailableError } from './backtests.errors.js';
import { isTerminal, topics, type BacktestProgressEvent, type BatchProgressEvent } from './backtests.events.js';

export interface BacktestDeps {
  prisma: PrismaClient;
  db: Database;
  pubsub: PubSub;
  queue: JobQueue;
  logger: Logger;
  config: { BACKTEST_MAX_BATCH_SYMBOLS: number };
}

/** What a client sends to run a backtest (RunBacktestInput). */
export interface RunBacktestInput {
  strategyId: string;
  symbol: string;
  interval: string;
  from: Date;
  to: Date;
  initialCapital?: number | null;
  commission?: number | null;
  slippage?: number | null;
  positionSize?: number | null;
  fillTiming?: string | null;
  allowShort?: boolean | null;
  lotSize?: number | null;
  periodsPerYear?: number | null;
  riskFreeRate?: number | null;
}

const CONFIG_FIELDS = ['initialCapital', 'commission', 'slippage', 'positionSize', 'fillTiming', 'allowShort', 'lotSize', 'periodsPerYear', 'riskFreeRate'] as const;

function runConfigOf(input: Omit<RunBacktestInput, 'symbol'>, issues: ValidationIssue[]): RunConfig {
  const given: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) if (input[f] !== undefined && input[f] !== null) given[f] = input[f];
  const result = validateRunConfig(given);
  for (const issue of result.issues) issues.push({ path: [...issue.path], message: issue.message });
  return result.config;
}

function checkRange(interval: string, from: Date, to: Date, issues: ValidationIssue[]): void {
  if (!isIntervalName(interval)) issues.push({ path: ['interval'], message: `must be one of ${Object.keys(INTERVALS).join(', ')}` });
  if (!Number.isFinite(from.getTime())) issues.push({ path: ['from'], message: 'is not a valid time' });
  if (!Number.isFinite(to.getTime())) issues.push({ path: ['to'], message: 'is not a valid time' });
  else if (from.getTime() >= to.getTime()) issues.push({ path: ['to'], message: 'must be after from (from inclusive, to exclusive)' });
}

/** Identity of a run: same strategy kind + parameters + symbol + interval + range + costs + data version ⇒ same result. */
export function runCacheKey(parts: { kind: string; params: unknown; symbol: string; interval: string; from: Date; to: Date; config: RunConfig; dataVersion: bigint | string }): string {
  const canonical = JSON.stringify([
    parts.kind,
    Object.entries(parts.params as Record<string, number>).sort(([a], [b]) => a.localeCompare(b)),
    parts.symbol,
    parts.interval,
    parts.from.toISOString(),
    parts.to.toISOString(),
    Object.entries(parts.config).sort(([a], [b]) => a.localeCompare(b)),
    String(parts.dataVersion),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

async function loadRunnableStrategy(deps: BacktestDeps, viewer: Viewer, strategyId: string) {
  const strategy = await getStrategy(createStrategiesRepository(deps.prisma), viewer, strategyId);
  if (strategy.archivedAt) throw new ValidationError([{ path: ['strategyId'], message: 'the strategy is archived; create a new one to run it' }]);
  return strategy;
}

async function enqueueOrUndo(deps: BacktestDeps, job: Parameters<JobQueue['enqueue']>[0], undo: () => Promise<unknown>): Promise<void> {
  try {
    await deps.queue.enqueue(job);
  } catch (error) {
    await undo().catch(() => undefined);
    deps.logger.error({ err: error, job }, 'enqueue failed');
    throw new QueueUnavailableError(deps.queue.mode === 'bullmq' ? 'the job queue (Redis) is unreachable' : 'the queue is closed');
  }
}

/**
 * Validates and queues one backtest, returning it at once: QUEUED, or COMPLETED with
 * fromCache when an identical run on the same data version already finished.
 * Nothing is created or enqueued on any error.
 * @throws ValidationError, NotFoundError (strategy or symbol), NoDataError, QueueUnavailableError.
 */
export async function runBacktest(deps: BacktestDeps, viewer: Viewer, input: RunBacktestInput): Promise<Backtest> {
  const issues: ValidationIssue[] = [];
  checkRange(input.interval, input.from, input.to, issues);
  const config = runConfigOf(input, issues);
  if (issues.length) throw new ValidationError(issues);
  const strategy = await loadRunnableStrategy(deps, viewer, input.strategyId);
  const instrument = await deps.prisma.instrument.findUnique({ where: { symbol: input.symbol } });
  if (!instrument) throw new NotFoundError('Instrument', input.symbol);
  const plan = planCandleQuery(
    INTERVALS[instrument.baseInterval as keyof typeof INTERVALS],
    { interval: input.interval, fromMs: input.from.getTime(), toMs: input.to.getTime(), maxPoints: null },
    Number.MAX_SAFE_INTEGER,
  );
  if (Array.isArray(plan)) throw new ValidationError(plan);
  if (!(await hasCandles(deps.db.pool, instrument.id, input.from.getTime(), input.to.getTime()))) {
    throw new NoDataError(input.symbol, input.from, input.to);
  }
  const cacheKey = runCacheKey({ kind: strategy.kind, params: strategy.parameters, symbol: instrument.symbol, interval: input.interval, from: input.from, to: input.to, config, dataVersion: instrument.dataVersion });
  const base = {
    owner: viewer.owner,
    strategyId: strategy.id,
    instrumentId: instrument.id,
    symbol: instrument.symbol,
    interval: input.interval,
    from: input.from,
    to: input.to,
    config: config as unknown as Prisma.InputJsonValue,
    cacheKey,
  };

  const cached = await deps.prisma.backtest.findFirst({ where: { cacheKey, status: 'COMPLETED' }, orderBy: { finishedAt: 'asc' } });
  if (cached) {
    // A result of the same computation on the same data: copy it, run nothing.
    return deps.prisma.$transaction(async (tx) => {
      const now = new Date();
      const copy = await tx.backtest.create({
        data: {
          ...base,
          status: 'COMPLETED',
          fromCache: true,
          progress: 1,
          barsProcessed: cached.barsProcessed,
          totalBars: cached.totalBars,
          metrics: cached.metrics ?? undefined,
          equityCurve: cached.equityCurve ?? undefined,
          assumptions: cached.assumptions ?? undefined,
          queuedAt: now,
          startedAt: now,
          finishedAt: now,
          durationMs: 0,
        },
      });
      await tx.$executeRaw`/* copyTrades */ INSERT INTO trade (backtest_id, seq, side, entry_time, entry_price, exit_time, exit_price, quantity, pnl, return_pct, fees, bars_held)
        SELECT ${copy.id}::uuid, seq, side, entry_time, entry_price, exit_time, exit_price, quantity, pnl, return_pct, fees, bars_held FROM trade WHERE backtest_id = ${cached.id}::uuid`;
      return copy;
    });
  }

  const backtest = await deps.prisma.backtest.create({ data: base });
  await enqueueOrUndo(deps, { name: 'backtest.run', id: backtest.id }, () => deps.prisma.backtest.delete({ where: { id: backtest.id } }));
  return backtest;
}

export interface RunBatchInput extends Omit<RunBacktestInput, 'symbol'> {
  symbols: string[];
}

/**
 * Queues one strategy over many symbols as a batch: children are created QUEUED and run by
 * one batch job (one batched candle fetch, children in parallel on the engine threads).
 * @throws ValidationError (including unknown symbols, listed), NotFoundError (strategy), QueueUnavailableError.
 */
export async function runBacktestBatch(deps: BacktestDeps, viewer: Viewer, input: RunBatchInput): Promise<BacktestBatch> {
  const issues: ValidationIssue[] = [];
  checkRange(input.interval, input.from, input.to, issues);
  const config = runConfigOf(input, issues);
  const max = deps.config.BACKTEST_MAX_BATCH_SYMBOLS;
  const symbols = [...new Set(input.symbols)];
  if (symbols.length === 0) issues.push({ path: ['symbols'], message: 'must name at least one symbol' });
  if (symbols.length > max) issues.push({ path: ['symbols'], message: `at most ${max} symbols per batch (BACKTEST_MAX_BATCH_SYMBOLS); got ${symbols.length}` });
  if (symbols.length !== input.symbols.length) issues.push({ path: ['symbols'], message: 'contains duplicates' });
  if (issues.length) throw new ValidationError(issues);
  const strategy = await loadRunnableStrategy(deps, viewer, input.strategyId);
  const instruments = await deps.prisma.instrument.findMany({ where: { symbol: { in: symbols } } });
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
  symbols.forEach((s, i) => {
    if (!bySymbol.has(s)) issues.push({ path: ['symbols', String(i)], message: `unknown symbol ${JSON.stringify(s)}` });
  });
  for (const instrument of instruments) {
    const plan = planCandleQuery(INTERVALS[instrument.baseInterval as keyof typeof INTERVALS], { interval: input.interval, fromMs: input.from.getTime(), toMs: input.to.getTime(), maxPoints: null }, Number.MAX_SAFE_INTEGER);
    if (Array.isArray(plan)) issues.push({ path: ['interval'], message: `${instrument.symbol}: ${plan[0]!.message}` });
  }
  if (issues.length) throw new ValidationError(issues);

  const batch = await deps.prisma.$transaction(async (tx) => {
    const created = await tx.backtestBatch.create({
      data: { owner: viewer.owner, strategyId: strategy.id, symbols, interval: input.interval, from: input.from, to: input.to, config: config as unknown as Prisma.InputJsonValue, total: symbols.length },
    });
    await tx.backtest.createMany({
      data: symbols.map((symbol) => {
        const instrument = bySymbol.get(symbol)!;
        return {
          owner: viewer.owner,
          strategyId: strategy.id,
          batchId: created.id,
          instrumentId: instrument.id,
          symbol,
          interval: input.interval,
          from: input.from,
          to: input.to,
          config: config as unknown as Prisma.InputJsonValue,
          cacheKey: runCacheKey({ kind: strategy.kind, params: strategy.parameters, symbol, interval: input.interval, from: input.from, to: input.to, config, dataVersion: instrument.dataVersion }),
        };
      }),
    });
    return created;
  });
  await enqueueOrUndo(deps, { name: 'backtest.batch', id: batch.id }, () => deps.prisma.backtestBatch.delete({ where: { id: batch.id } }));
  return batch;
}

/** The backtest when the viewer may see it. @throws NotFoundError (also for other owners: no leak). */
export async function getBacktest(deps: Pick<BacktestDeps, 'prisma'>, viewer: Viewer, id: string): Promise<Backtest> {
  const owner = visibleOwner(viewer);
  const backtest = isUuid(id) ? await deps.prisma.backtest.findFirst({ where: { id, ...(owner === null ? {} : { owner }) } }) : null;
  if (!backtest) throw new NotFoundError('Backtest', id);
  return backtest;
}

export async function getBacktestBatch(deps: Pick<BacktestDeps, 'prisma'>, viewer: Viewer, id: string): Promise<BacktestBatch> {
  const owner = visibleOwner(viewer);
  const batch = isUuid(id) ? await deps.prisma.backtestBatch.findFirst({ where: { id, ...(owner === null ? {} : { owner }) } }) : null;
  if (!batch) throw new NotFoundError('BacktestBatch', id);
  return batch;
}

/**
 * QUEUED → CANCELLED at once; RUNNING → the worker running it is told to stop and the call
 * waits (≤ 2 s) for it to confirm; a finished backtest → BacktestFinishedError.
 */
export async function cancelBacktest(deps: BacktestDeps, viewer: Viewer, id: string): Promise<Backtest> {
  const backtest = await getBacktest(deps, viewer, id);
  if (isTerminal(backtest.status)) throw new BacktestFinishedError(backtest.status);
  const now = new Date();
  const queued = await deps.prisma.backtest.updateMany({
    where: { id: backtest.id, status: 'QUEUED' },
    data: { status: 'CANCELLED', cancelRequestedAt: now, finishedAt: now },
  });
  if (queued.count === 1) {
    if (!backtest.batchId) await deps.queue.remove({ name: 'backtest.run', id: backtest.id });
    const row = await deps.prisma.backtest.findUniqueOrThrow({ where: { id: backtest.id } });
    await publishState(deps.pubsub, row);
    return row;
  }
  // RUNNING: record the request (honoured even by a worker that picks the job up later),
  // then tell whichever worker runs it, and wait for its confirmation.
  await deps.prisma.backtest.updateMany({ where: { id: backtest.id, cancelRequestedAt: null }, data: { cancelRequestedAt: now } });
  const events = await deps.pubsub.listen<BacktestProgressEvent>(topics.backtest(backtest.id));
  const terminal = (async () => {
    for (;;) {
      const { value, done } = await events.next();
      if (done || isTerminal(value.status)) return;
    }
  })();
  await deps.pubsub.publish(topics.cancel, { backtestId: backtest.id });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([terminal, new Promise((r) => (timer = setTimeout(r, 2_000)))]);
  clearTimeout(timer);
  await events.close();
  return deps.prisma.backtest.findUniqueOrThrow({ where: { id: backtest.id } });
}

/** The event describing a backtest row's current state (first event of every subscription). */
export function stateEvent(b: Backtest): BacktestProgressEvent {
  return {
    backtestId: b.id,
    status: b.status,
    progress: b.progress,
    barsProcessed: b.barsProcessed,
    totalBars: b.totalBars,
    equity: null,
    etaSeconds: null,
    error: b.error,
    at: new Date(),
  };
}

export async function publishState(pubsub: PubSub, b: Backtest): Promise<void> {
  await pubsub.publish(topics.backtest(b.id), stateEvent(b) as unknown as Record<string, unknown>);
}

export function batchStateEvent(b: BacktestBatch, backtestId: string | null): BatchProgressEvent {
  return { batchId: b.id, completed: b.completed, failed: b.failed, total: b.total, status: b.status, backtestId, at: new Date() };
}
