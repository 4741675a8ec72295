import { createPubSub as createInProcessPubSub } from 'graphql-yoga';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Topic-based pub/sub for subscriptions. One interface, two transports (DESIGN.md §5):
 * Redis (graphql-redis-subscriptions over ioredis) when REDIS_URL is set, so an event
 * published by any worker reaches subscribers on every API replica; in-process otherwise.
 * Payloads are plain JSON; ISO timestamps are revived to Dates on the Redis path so both
 * transports hand resolvers the same values.
 */
export interface PubSub {
  readonly mode: 'redis' | 'in-process';
  publish(topic: string, payload: Record<string, unknown>): Promise<void>;
  subscribe<T = Record<string, unknown>>(topic: string): AsyncIterable<T>;
  close(): Promise<void>;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** JSON.parse reviver turning ISO-8601 UTC strings back into Dates. */
export function reviveDates(_key: string, value: unknown): unknown {
  return typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : value;
}

export function createInProcessPubSubAdapter(): PubSub {
  const pubsub = createInProcessPubSub<Record<string, [Record<string, unknown>]>>();
  return {
    mode: 'in-process',
    async publish(topic, payload) {
      // Round-trip through JSON so in-process subscribers see exactly what Redis would carry.
      pubsub.publish(topic, JSON.parse(JSON.stringify(payload), reviveDates));
    },
    subscribe<T>(topic: string) {
      return pubsub.subscribe(topic) as unknown as AsyncIterable<T>;
    },
    async close() {},
  };
}

export function createRedisPubSubAdapter(url: string, keyPrefix: string): PubSub {
  const options: RedisOptions = {
    // Subscriptions must not queue forever behind a dead connection; reconnect in the background.
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  };
  const publisher = new Redis(url, options);
  const subscriber = new Redis(url, options);
  publisher.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  const pubsub = new RedisPubSub({ publisher, subscriber, reviver: reviveDates });
  // Prefixed here rather than with triggerTransform, which applies to subscribe but not publish.
  const channel = (topic: string) => `${keyPrefix}events:${topic}`;
  return {
    mode: 'redis',
    async publish(topic, payload) {
      await pubsub.publish(channel(topic), payload);
    },
    subscribe<T>(topic: string) {
      return pubsub.asyncIterableIterator(channel(topic)) as AsyncIterable<T>;
    },
    async close() {
      await pubsub.close().catch(() => undefined);
    },
  };
}
