import { describe, expect, it } from '@jest/globals';
import { createInProcessPubSub } from '../../events/pubsub.js';
import type { Backtest } from '../../generated/prisma/client.js';
import { ANONYMOUS_VIEWER } from '../accounts/access.js';
import { BacktestEventsService } from './backtest-events.service.js';
import { backtestStateEvent, type BacktestTopics } from './backtests.events.js';
import type { BacktestsRepository } from './backtests.repository.js';

const AT = new Date('2025-01-01T00:00:00.000Z');
const running = { id: 'b1', status: 'RUNNING', progress: 0, barsProcessed: 0, totalBars: 100, error: null } as Backtest;
const progressAt = (barsProcessed: number) => backtestStateEvent({ ...running, barsProcessed, progress: barsProcessed / 100 }, AT);
const completed = backtestStateEvent({ ...running, status: 'COMPLETED', barsProcessed: 100, progress: 1 }, AT);

function watch() {
  const pubsub = createInProcessPubSub<BacktestTopics>();
  const repository = { findVisibleRun: async () => running } as unknown as BacktestsRepository;
  const service = new BacktestEventsService({ repository, pubsub, now: () => AT });
  const stream = service.watchProgress(ANONYMOUS_VIEWER, 'b1');
  return { pubsub, service, stream };
}

describe('BacktestEventsService.watchProgress', () => {
  it('sends every event to a subscriber that keeps up', async () => {
    const { pubsub, stream } = watch();
    expect((await stream.next()).value).toMatchObject({ status: 'RUNNING', barsProcessed: 0 });
    const seen: number[] = [];
    for (const bars of [10, 50, 90]) {
      const next = stream.next();
      await pubsub.publish('backtest', 'b1', progressAt(bars));
      seen.push((await next).value!.barsProcessed);
    }
    await pubsub.publish('backtest', 'b1', completed);
    expect((await stream.next()).value).toMatchObject({ status: 'COMPLETED' });
    expect((await stream.next()).done).toBe(true);
    expect(seen).toEqual([10, 50, 90]);
  });

  it('skips a slow subscriber to the newest state it has received (each event is the whole state)', async () => {
    const { pubsub, stream } = watch();
    expect((await stream.next()).value).toMatchObject({ status: 'RUNNING', barsProcessed: 0 });
    // Everything arrives before the subscriber asks for its next item.
    for (const bars of [10, 50, 90]) await pubsub.publish('backtest', 'b1', progressAt(bars));
    await pubsub.publish('backtest', 'b1', completed);
    const rest = [];
    for await (const event of stream) rest.push([event.status, event.barsProcessed]);
    expect(rest).toEqual([['COMPLETED', 100]]);
  });
});

describe('BacktestEventsService.endStreams (shutdown)', () => {
  it('ends an open stream with ShuttingDownError (SERVICE_UNAVAILABLE) and refuses new ones', async () => {
    const { pubsub, service, stream } = watch();
    expect((await stream.next()).value).toMatchObject({ status: 'RUNNING' });
    const waiting = stream.next();
    service.endStreams();
    await expect(waiting).rejects.toMatchObject({ name: 'ShuttingDownError', code: 'SERVICE_UNAVAILABLE' });
    // Ended, not paused: a later event is not delivered.
    await pubsub.publish('backtest', 'b1', completed);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    await expect(service.watchProgress(ANONYMOUS_VIEWER, 'b1').next()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
