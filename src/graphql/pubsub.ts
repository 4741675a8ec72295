import { EventEmitter } from 'node:events';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Topic-based pub/sub for subscriptions and worker signals. One interface, two transports
 * (DESIGN.md §5): Redis (graphql-redis-subscriptions over ioredis) when REDIS_URL is set, so
 * an event published by any worker reaches subscribers on every API replica; in-process
 * otherwise. Payloads are plain JSON; ISO timestamps are revived to Dates on both paths.
 */
export interface PubSub {
  readonly mode: 'redis' | 'in-process';
  publish(topic: string, payload: Record<string, unknown>): Promise<void>;
  /**
   * Subscribes and resolves once the subscription is active, so an event published after
   * this resolves is never missed (subscribe first, then read current state).
   */
  listen<T = Record<string, unknown>>(topic: string): Promise<Listener<T>>;
  close(): Promise<void>;
}

/** An active subscription: iterate it; `close()` (or leaving a for-await) unsubscribes. */
export interface Listener<T> extends AsyncIterableIterator<T> {
  close(): Promise<void>;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** JSON.parse reviver turning ISO-8601 UTC strings back into Dates. */
export function reviveDates(_key: string, value: unknown): unknown {
  return typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : value;
}

/** A push queue exposed as an async iterator; `onClose` releases the underlying subscription. */
function pushListener<T>(onClose: () => void | Promise<void>): { listener: Listener<T>; push: (value: T) => void } {
  const buffered: T[] = [];
  const waiting: Array<(r: IteratorResult<T>) => void> = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const w of waiting.splice(0)) w({ value: undefined, done: true });
    await onClose();
  };
  const listener: Listener<T> = {
    next: () => {
      if (buffered.length) return Promise.resolve({ value: buffered.shift()!, done: false });
      if (closed) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return: async () => {
      await close();
      return { value: undefined, done: true };
    },
    close,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  const push = (value: T) => {
    if (closed) return;
    const w = waiting.shift();
    if (w) w({ value, done: false });
    else buffered.push(value);
  };
  return { listener, push };
}

export function createInProcessPubSubAdapter(): PubSub {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    mode: 'in-process',
    async publish(topic, payload) {
      // Round-trip through JSON so in-process subscribers see exactly what Redis would carry.
      emitter.emit(topic, JSON.parse(JSON.stringify(payload), reviveDates));
    },
    async listen<T>(topic: string) {
      const handler = (value: T) => push(value);
      const { listener, push } = pushListener<T>(() => void emitter.off(topic, handler));
      emitter.on(topic, handler);
      return listener;
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

export function createRedisPubSubAdapter(url: string, keyPrefix: string): PubSub {
  const options: RedisOptions = {
    // Publishing must fail fast when Redis is down rather than queue forever; reconnect in the background.
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  };
  const publisher = new Redis(url, options);
  const subscriber = new Redis(url, options);
  publisher.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  const pubsub = new RedisPubSub({ publisher, subscriber, reviver: reviveDates });
  const channel = (topic: string) => `${keyPrefix}events:${topic}`;
  return {
    mode: 'redis',
    async publish(topic, payload) {
      await pubsub.publish(channel(topic), payload);
    },
    async listen<T>(topic: string) {
      let subId: number | null = null;
      const { listener, push } = pushListener<T>(() => {
        if (subId !== null) pubsub.unsubscribe(subId);
      });
      // Resolves once Redis confirmed the SUBSCRIBE.
      subId = await pubsub.subscribe(channel(topic), (message: T) => push(message));
      return listener;
    },
    async close() {
      await pubsub.close().catch(() => undefined);
    },
  };
}
