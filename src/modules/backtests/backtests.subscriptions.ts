import type { Context } from '../../context.js';
import type { Backtest } from '../../generated/prisma/client.js';
import { isTerminal, topics, type BacktestProgressEvent, type BatchProgressEvent } from './backtests.events.js';
import { batchStateEvent, getBacktest, getBacktestBatch, stateEvent } from './backtests.service.js';

/**
 * Subscription streams. Authorization runs on subscribe (NotFound for others' ids); the
 * topic is subscribed BEFORE the current state is read, so nothing between the two is
 * missed, and the first event is always the current state — a dashboard that connects late,
 * or after the end, still gets the terminal event.
 */
export async function* backtestProgressStream(ctx: Context, id: string): AsyncGenerator<BacktestProgressEvent> {
  await getBacktest(ctx, ctx.viewer, id);
  const listener = await ctx.pubsub.listen<BacktestProgressEvent>(topics.backtest(id));
  try {
    const current = await ctx.prisma.backtest.findUniqueOrThrow({ where: { id } });
    yield stateEvent(current);
    if (isTerminal(current.status)) return;
    let bars = current.barsProcessed;
    for await (const event of listener) {
      if (!isTerminal(event.status) && event.status === 'RUNNING' && event.barsProcessed < bars) continue; // older than the state sent
      bars = Math.max(bars, event.barsProcessed);
      yield event;
      if (isTerminal(event.status)) return;
    }
  } finally {
    await listener.close();
  }
}

export async function* backtestCompletedStream(ctx: Context, id: string): AsyncGenerator<Backtest> {
  await getBacktest(ctx, ctx.viewer, id);
  const listener = await ctx.pubsub.listen<BacktestProgressEvent>(topics.backtest(id));
  try {
    const current = await ctx.prisma.backtest.findUniqueOrThrow({ where: { id } });
    if (isTerminal(current.status)) {
      yield current;
      return;
    }
    for await (const event of listener) {
      if (isTerminal(event.status)) {
        yield await ctx.prisma.backtest.findUniqueOrThrow({ where: { id } });
        return;
      }
    }
  } finally {
    await listener.close();
  }
}

export async function* batchProgressStream(ctx: Context, id: string): AsyncGenerator<BatchProgressEvent> {
  await getBacktestBatch(ctx, ctx.viewer, id);
  const listener = await ctx.pubsub.listen<BatchProgressEvent>(topics.batch(id));
  try {
    const current = await ctx.prisma.backtestBatch.findUniqueOrThrow({ where: { id } });
    yield batchStateEvent(current, null);
    if (isTerminal(current.status)) return;
    for await (const event of listener) {
      yield event;
      if (isTerminal(event.status)) return;
    }
  } finally {
    await listener.close();
  }
}
