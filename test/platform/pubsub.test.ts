import { describe, expect, it } from '@jest/globals';
import { createInProcessPubSubAdapter, createRedisPubSubAdapter, type PubSub } from '../../src/graphql/pubsub.js';
import { uniqueName } from '../helpers/deps.js';
import { describeWithRedis } from '../helpers/redis.js';

const payload = { backtestId: 'b1', status: 'RUNNING', progress: 0.5, at: new Date('2024-05-01T12:00:00.000Z') };

/** listen() resolves once subscribed: an event published right after is never lost. */
async function roundTrip(subscriberSide: PubSub, publisherSide: PubSub) {
  const topic = uniqueName('topic');
  const listener = await subscriberSide.listen<typeof payload>(topic);
  await publisherSide.publish(topic, payload);
  await publisherSide.publish(topic, { ...payload, progress: 1 });
  const first = await listener.next();
  const second = await listener.next();
  await listener.close();
  expect((await listener.next()).done).toBe(true);
  return [first.value, second.value];
}

describe('in-process pub/sub', () => {
  it('delivers plain JSON in order, dates revived', async () => {
    const pubsub = createInProcessPubSubAdapter();
    const [a, b] = await roundTrip(pubsub, pubsub);
    expect(a).toEqual(payload);
    expect(a.at).toBeInstanceOf(Date);
    expect(b.progress).toBe(1);
  });
});

describeWithRedis('Redis pub/sub', () => {
  it('carries events from one instance to a subscriber on another, in order, dates revived', async () => {
    const prefix = `${uniqueName('t')}:`;
    const publisherSide = createRedisPubSubAdapter(process.env.REDIS_URL!, prefix);
    const subscriberSide = createRedisPubSubAdapter(process.env.REDIS_URL!, prefix);
    try {
      const [a, b] = await roundTrip(subscriberSide, publisherSide);
      expect(a).toEqual(payload);
      expect(a.at).toBeInstanceOf(Date);
      expect(b.progress).toBe(1);
    } finally {
      await publisherSide.close();
      await subscriberSide.close();
    }
  });
});
