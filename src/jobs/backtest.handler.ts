import type { Database } from '../db/pool.js';
import type { PrismaClient } from '../db/prisma.js';
import type { Backtest, Prisma } from '../generated/prisma/client.js';
import type { PubSub } from '../graphql/pubsub.js';
import type { Logger } from '../lib/logger.js';
import { isTerminal, topics, type BacktestProgressEvent } from '../modules/backtests/backtests.events.js';
import { replaceTrades } from '../modules/backtests/backtests.store.js';
import { batchStateEvent, stateEvent } from '../modules/backtests/backtests.service.js';
import type { CandleColumns } from '../modules/market-data/candle.types.js';
import { BATCH_FETCH_SYMBOLS, loadCandlesForRuns } from '../modules/market-data/market-data.service.js';
import type { EnginePool } from './engine-pool.js';
import { PermanentJobError, type Job } from './queue.js';

/** What job handlers use; built once per worker process (or the API in embedded mode). */
export interface JobContext {
  prisma: PrismaClient;
  db: Database;
  pubsub: PubSub;
  engine: EnginePool;
  logger: Logger;
  /** Cancel functions of the runs in this process, by backtest id. */
  running: Map<string, () => void>;
}

/** Progress events per backtest: at most 5 a second, plus the first and the last. */
const PROGRESS_EVENT_MS = 200;
/** Progress written to the row at most once a second (readers poll less than dashboards). */
const PROGRESS_WRITE_MS = 1_000;
/** Stored equity curve points (the API downsamples further on request). */
export const MAX_EQUITY_POINTS = 2_000;

export async function handleJob(ctx: JobContext, job: Job, attempt: { number: number; isLast: boolean }): Promise<void> {
  if (job.name === 'backtest.run') await handleRunBacktest(ctx, job.id, attempt);
  else await handleBatch(ctx, job.id, attempt);
}

async function publish(ctx: JobContext, event: BacktestProgressEvent): Promise<void> {
  await ctx.pubsub.publish(topics.backtest(event.backtestId), event as unknown as Record<string, unknown>).catch((error) => {
    ctx.logger.warn({ err: error }, 'progress event not published');
  });
}

/** The row's state (the same event a new subscriber gets first), with run figures on top. */
function event(b: Backtest, extra: Partial<BacktestProgressEvent> = {}): BacktestProgressEvent {
  return { ...stateEvent(b), ...extra };
}

async function finish(ctx: JobContext, b: Backtest, data: Prisma.BacktestUpdateInput): Promise<Backtest> {
  const row = await ctx.prisma.backtest.update({ where: { id: b.id }, data });
  await publish(ctx, event(row));
  return row;
}

/** Runs one backtest end to end. Idempotent by id: a finished backtest is left alone; a re-run rewrites the same rows. */
export async function handleRunBacktest(ctx: JobContext, id: string, attempt: { number: number; isLast: boolean }, preloaded?: CandleColumns): Promise<Backtest | null> {
  let b = await ctx.prisma.backtest.findUnique({ where: { id }, include: { strategy: true, instrument: true } });
  if (!b || isTerminal(b.status)) return b;
  const started = new Date();
  if (b.cancelRequestedAt) return finish(ctx, b, { status: 'CANCELLED', finishedAt: started });
  b = await ctx.prisma.backtest.update({
    where: { id },
    data: { status: 'RUNNING', startedAt: b.startedAt ?? started, attempts: { increment: 1 }, progress: 0, barsProcessed: 0, error: null },
    include: { strategy: true, instrument: true },
  });
  await publish(ctx, event(b));

  try {
    const candles =
      preloaded ??
      (await loadCandlesForRuns(ctx, [{ id: b.instrumentId, baseInterval: b.instrument.baseInterval }], b.interval, b.from, b.to)).get(b.instrumentId);
    if (!candles || candles.time.length === 0) {
      return finish(ctx, b, { status: 'FAILED', error: `no candles for ${b.symbol} in the range`, finishedAt: new Date() });
    }
    const fresh = await ctx.prisma.backtest.findUnique({ where: { id }, select: { cancelRequestedAt: true } });
    if (fresh?.cancelRequestedAt) return finish(ctx, b, { status: 'CANCELLED', finishedAt: new Date() });
    const runStart = performance.now();
    let lastEvent = 0;
    let lastWrite = 0;
    const current = b;
    const onProgress = (barsProcessed: number, totalBars: number, equity: number) => {
      const now = performance.now();
      const last = barsProcessed === totalBars;
      const elapsed = (now - runStart) / 1000;
      if (!last && barsProcessed !== 1 && now - lastEvent < PROGRESS_EVENT_MS) return;
      lastEvent = now;
      const progress = totalBars ? barsProcessed / totalBars : 0;
      void publish(ctx, event(current, {
        status: 'RUNNING',
        progress,
        barsProcessed,
        totalBars,
        equity,
        etaSeconds: progress > 0 ? (elapsed * (1 - progress)) / progress : null,
      }));
      if (now - lastWrite >= PROGRESS_WRITE_MS && !last) {
        lastWrite = now;
        void ctx.prisma.backtest.updateMany({ where: { id, status: 'RUNNING' }, data: { progress, barsProcessed, totalBars } }).catch(() => undefined);
      }
    };
    const run = ctx.engine.run(
      {
        candles,
        strategy: { kind: b.strategy.kind, params: b.strategy.parameters as Record<string, number> },
        config: b.config as Record<string, unknown>,
        progressEvery: Math.max(1, Math.ceil(candles.time.length / 50)),
        maxEquityPoints: MAX_EQUITY_POINTS,
      },
      onProgress,
    );
    ctx.running.set(id, run.cancel);
    let outcome;
    try {
      outcome = await run.outcome;
    } finally {
      ctx.running.delete(id);
    }
    const finishedAt = new Date();
    const durationMs = finishedAt.getTime() - (b.startedAt ?? started).getTime();
    switch (outcome.type) {
      case 'done': {
        const client = await ctx.db.pool.connect();
        try {
          await client.query('BEGIN');
          await replaceTrades(client, id, outcome.trades);
          await client.query(
            `/* completeBacktest */
             UPDATE backtest SET status = 'COMPLETED', progress = 1, bars_processed = $2, total_bars = $3, metrics = $4, equity_curve = $5,
                    assumptions = $6, finished_at = $7, duration_ms = $8, error = NULL
             WHERE id = $1`,
            [id, outcome.barsProcessed, outcome.totalBars, JSON.stringify(outcome.metrics), JSON.stringify(outcome.equity), JSON.stringify(outcome.assumptions), finishedAt, durationMs],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
        const row = await ctx.prisma.backtest.findUniqueOrThrow({ where: { id } });
        await publish(ctx, event(row, { equity: outcome.equity.equity.at(-1) ?? null, etaSeconds: 0 }));
        return row;
      }
      case 'cancelled':
        return finish(ctx, b, { status: 'CANCELLED', finishedAt, durationMs });
      case 'invalid':
        await finish(ctx, b, { status: 'FAILED', error: outcome.message, finishedAt, durationMs });
        throw new PermanentJobError(outcome.message);
      case 'crashed':
        throw new Error(`engine crashed: ${outcome.message}`);
    }
  } catch (error) {
    if (error instanceof PermanentJobError) throw error;
    // Infrastructure failure: retried by the queue; on the last attempt nothing stays RUNNING.
    if (attempt.isLast) {
      await finish(ctx, b, { status: 'FAILED', error: 'internal error while running the backtest', finishedAt: new Date() }).catch(() => undefined);
    } else {
      await ctx.prisma.backtest.update({ where: { id }, data: { status: 'QUEUED' } }).catch(() => undefined);
    }
    throw error;
  }
}

/**
 * Runs a batch: one batched candle fetch for every child, then the children in parallel on
 * the engine threads, each result written as it completes and announced on the batch topic.
 * Idempotent: children already finished (by an earlier, interrupted attempt) are skipped.
 */
export async function handleBatch(ctx: JobContext, id: string, attempt: { number: number; isLast: boolean }): Promise<void> {
  const batch = await ctx.prisma.backtestBatch.findUnique({ where: { id } });
  if (!batch || isTerminal(batch.status)) return;
  const started = new Date();
  await ctx.prisma.backtestBatch.update({ where: { id }, data: { status: 'RUNNING', startedAt: batch.startedAt ?? started } });
  const children = await ctx.prisma.backtest.findMany({ where: { batchId: id }, include: { instrument: true } });
  const pending = children.filter((c) => !isTerminal(c.status));

  const runChild = async (child: (typeof pending)[number], candles: CandleColumns | undefined) => {
    let row: Backtest | null;
    try {
      row = await handleRunBacktest(ctx, child.id, attempt, candles ?? emptyColumns());
    } catch (error) {
      if (!(error instanceof PermanentJobError)) throw error;
      row = await ctx.prisma.backtest.findUnique({ where: { id: child.id } });
    }
    const counters = await ctx.prisma.backtestBatch.update({
      where: { id },
      data: row?.status === 'COMPLETED' ? { completed: { increment: 1 } } : { failed: { increment: 1 } },
    });
    await ctx.pubsub.publish(topics.batch(id), batchStateEvent(counters, child.id) as unknown as Record<string, unknown>);
  };

  // Candles are fetched in batched statements (BATCH_FETCH_SYMBOLS instruments each, never one
  // per symbol); each chunk's children start on the engine threads while the next chunk loads,
  // and their candles are released as they finish, which bounds peak memory.
  let dataFetchMs = 0;
  const runs: Promise<void>[] = [];
  // A few children per engine thread in flight: enough to keep threads busy while results are
  // written, few enough not to drain the connection pool the API shares (embedded mode).
  const limit = concurrencyLimit(ctx.engine.size * 2);
  for (let i = 0; i < pending.length; i += BATCH_FETCH_SYMBOLS) {
    const chunk = pending.slice(i, i + BATCH_FETCH_SYMBOLS);
    const fetchStart = performance.now();
    const candles = await loadCandlesForRuns(ctx, chunk.map((c) => ({ id: c.instrumentId, baseInterval: c.instrument.baseInterval })), batch.interval, batch.from, batch.to);
    dataFetchMs += performance.now() - fetchStart;
    for (const child of chunk) runs.push(limit(() => runChild(child, candles.get(child.instrumentId))));
  }
  const settled = await Promise.allSettled(runs);
  await ctx.prisma.backtestBatch.update({ where: { id }, data: { dataFetchMs: Math.round(dataFetchMs) } });
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;

  const all = await ctx.prisma.backtest.findMany({ where: { batchId: id }, select: { symbol: true, status: true, metrics: true } });
  const returns = all
    .filter((c) => c.status === 'COMPLETED')
    .map((c) => ({ symbol: c.symbol, totalReturn: (c.metrics as { totalReturn: number | null } | null)?.totalReturn ?? null }))
    .filter((r): r is { symbol: string; totalReturn: number } => r.totalReturn !== null);
  returns.sort((a, b) => b.totalReturn - a.totalReturn);
  const finishedAt = new Date();
  const completed = all.filter((c) => c.status === 'COMPLETED').length;
  const summary = {
    averageReturn: returns.length ? returns.reduce((s, r) => s + r.totalReturn, 0) / returns.length : null,
    best: returns[0] ?? null,
    worst: returns.at(-1) ?? null,
  };
  const done = await ctx.prisma.backtestBatch.update({
    where: { id },
    data: {
      status: 'COMPLETED',
      completed,
      failed: all.length - completed,
      summary,
      finishedAt,
      durationMs: finishedAt.getTime() - (batch.startedAt ?? started).getTime(),
    },
  });
  await ctx.pubsub.publish(topics.batch(id), batchStateEvent(done, null) as unknown as Record<string, unknown>);
}

function emptyColumns(): CandleColumns {
  const e = new Float64Array(0);
  return { time: e, open: e, high: e, low: e, close: e, volume: e };
}

/** Runs at most `n` of the given tasks at a time. */
function concurrencyLimit(n: number) {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
