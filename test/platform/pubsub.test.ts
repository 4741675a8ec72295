import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createInProcessPubSubAdapter, createRedisPubSubAdapter, type PubSub } from '../../src/graphql/pubsub.js';
import { uniqueName } from '../helpers/deps.js';
import { describeWithRedis } from '../helpers/redis.js';

async function firstEvent<T>(pubsub: PubSub, topic: string, whenSubscribed: () => Promise<void>): Promise<T> {
  const iterator = pubsub.subscribe<T>(topic)[Symbol.asyncIterator]();
  const next = iterator.next();
  await whenSubscribed();
  const { value } = await next;
  await iterator.return?.();
  return value as T;
}

const payload = { backtestId: 'b1', status: 'RUNNING', progress: 0.5, at: new Date('2024-05-01T12:00:00.000Z') };

describe('in-process pub/sub', () => {
  it('delivers plain JSON with dates revived', async () => {
    const pubsub = createInProcessPubSubAdapter();
    const topic = uniqueName('topic');
    const event = await firstEvent<typeof payload>(pubsub, topic, () => pubsub.publish(topic, payload));
    expect(event).toEqual(payload);
    expect(event.at).toBeInstanceOf(Date);
  });
});

describeWithRedis('Redis pub/sub', () => {
  it('carries an event published by one process-like instance to a subscriber on another, dates revived', async () => {
    const prefix = `${uniqueName('t')}:`;
    const publisherSide = createRedisPubSubAdapter(process.env.REDIS_URL!, prefix);
    const subscriberSide = createRedisPubSubAdapter(process.env.REDIS_URL!, prefix);
    const probe = new Redis(process.env.REDIS_URL!);
    const topic = 'backtest.progress.b1';
    try {
      const event = await firstEvent<typeof payload>(subscriberSide, topic, async () => {
        // Wait until Redis reports the subscription (a condition, not a fixed sleep).
        for (;;) {
          const [, count] = (await probe.pubsub('NUMSUB', `${prefix}events:${topic}`)) as [string, number];
          if (Number(count) > 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        await publisherSide.publish(topic, payload);
      });
      expect(event).toEqual(payload);
      expect(event.at).toBeInstanceOf(Date);
    } finally {
      probe.disconnect();
      await publisherSide.close();
      await subscriberSide.close();
    }
  });
});
