import { describe, expect, it } from '@jest/globals';
import { createInProcessPubSub, createRedisPubSub, type PubSub } from '../../src/events/pubsub.js';
import { uniqueName } from '../helpers/deps.js';
import { describeWithRedis } from '../helpers/redis.js';

const payload = { backtestId: 'b1', status: 'RUNNING', progress: 0.5, at: new Date('2024-05-01T12:00:00.000Z') };
type Topics = { probe: [id: string, event: typeof payload]; broadcast: [event: typeof payload] };

/** listen() resolves once subscribed: an event published right after is never lost. */
async function roundTrip(subscriberSide: PubSub<Topics>, publisherSide: PubSub<Topics>) {
  const id = uniqueName('topic');
  const listener = await subscriberSide.listen('probe', id);
  const other = await subscriberSide.listen('probe', `${id}-other`);
  await publisherSide.publish('probe', id, payload);
  await publisherSide.publish('probe', id, { ...payload, progress: 1 });
  const first = await listener.next();
  const second = await listener.next();
  await listener.close();
  expect((await listener.next()).done).toBe(true);
  // Per-id topics: another id's subscriber got nothing.
  await publisherSide.publish('probe', `${id}-other`, { ...payload, progress: 0.25 });
  expect((await other.next()).value).toMatchObject({ progress: 0.25 });
  await other.close();
  return [first.value, second.value];
}

describe('in-process pub/sub', () => {
  it('delivers plain JSON in order, per id, dates revived', async () => {
    const pubsub = createInProcessPubSub<Topics>();
    const [a, b] = await roundTrip(pubsub, pubsub);
    expect(a).toEqual(payload);
    expect(a!.at).toBeInstanceOf(Date);
    expect(b!.progress).toBe(1);
  });
});

describeWithRedis('Redis pub/sub', () => {
  it('carries events from one instance to a subscriber on another, in order, dates revived', async () => {
    const prefix = `${uniqueName('t')}:`;
    const failures: unknown[] = [];
    const publisherSide = createRedisPubSub<Topics>(process.env.REDIS_URL!, prefix, (error) => failures.push(error));
    const subscriberSide = createRedisPubSub<Topics>(process.env.REDIS_URL!, prefix, (error) => failures.push(error));
    try {
      const [a, b] = await roundTrip(subscriberSide, publisherSide);
      expect(a).toEqual(payload);
      expect(a!.at).toBeInstanceOf(Date);
      expect(b!.progress).toBe(1);
      expect(failures).toEqual([]);
    } finally {
      await publisherSide.close();
      await subscriberSide.close();
    }
  });
});

describe('publish failures', () => {
  it('never reject: a publish to an unreachable Redis resolves and reports the failure (events are best effort)', async () => {
    const failures: Array<{ error: unknown; channel: string }> = [];
    // Port 1 on loopback: nothing listens, connections are refused at once.
    const pubsub = createRedisPubSub<Topics>('redis://127.0.0.1:1', 'x:', (error, channel) => failures.push({ error, channel }));
    try {
      await expect(pubsub.publish('broadcast', payload)).resolves.toBeUndefined();
      expect(failures).toHaveLength(1);
      expect(failures[0]!.channel).toBe('broadcast');
      expect(failures[0]!.error).toBeInstanceOf(Error);
    } finally {
      await pubsub.close();
    }
  });
});
