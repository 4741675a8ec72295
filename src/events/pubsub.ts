import { EventEmitter } from 'node:events';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Typed topic-based pub/sub for subscriptions and worker signals. One interface, two
 * transports (DESIGN.md §5): Redis (graphql-redis-subscriptions over ioredis) when REDIS_URL
 * is set, so an event published by any worker reaches subscribers on every API replica;
 * in-process otherwise. Payloads are plain JSON; ISO timestamps are revived to Dates on both.
 *
 * A topic map names each topic with its arguments, as graphql-yoga's createPubSub does:
 * `[id: string, payload]` for a topic per entity (channel `<topic>.<id>`), `[payload]` for a
 * global one (channel `<topic>`).
 */
export type TopicMap = Record<string, [id: string, payload: unknown] | [payload: unknown]>;

type IdOf<A> = A extends [string, unknown] ? [id: string] : [];
type PayloadOf<A> = A extends [string, infer P] ? P : A extends [infer P] ? P : never;

/**
 * Publishing is best effort, by policy: the database holds every state and a subscriber gets
 * the current state first, so a lost event delays a dashboard at worst. `publish` therefore
 * never rejects; a failure is reported to `onPublishError` (logged by the composition root),
 * and a Redis blip never fails a backtest or a batch.
 */
export interface PubSub<T extends TopicMap> {
  readonly mode: 'redis' | 'in-process';
  publish<K extends keyof T & string>(topic: K, ...args: T[K]): Promise<void>;
  /**
   * Subscribes and resolves once the subscription is active, so an event published after
   * this resolves is never missed (subscribe first, then read the current state).
   */
  listen<K extends keyof T & string>(topic: K, ...id: IdOf<T[K]>): Promise<Listener<PayloadOf<T[K]>>>;
  close(): Promise<void>;
}

/** An active subscription: iterate it; `close()` (or leaving a for-await) unsubscribes. */
export interface Listener<T> extends AsyncIterableIterator<T> {
  close(): Promise<void>;
  /** Removes and returns the events received but not yet iterated (a slow consumer's backlog). */
  takeBacklog(): T[];
}

export type PublishErrorHandler = (error: unknown, channel: string) => void;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** JSON.parse reviver turning ISO-8601 UTC strings back into Dates. */
function reviveDates(_key: string, value: unknown): unknown {
  return typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : value;
}

/** `[id, payload]` or `[payload]` → the channel name and the payload. */
function route(topic: string, args: readonly unknown[]): { channel: string; payload: unknown } {
  return args.length === 2 ? { channel: `${topic}.${String(args[0])}`, payload: args[1] } : { channel: topic, payload: args[0] };
}

function channelOf(topic: string, id: readonly string[]): string {
  return id.length ? `${topic}.${id[0]}` : topic;
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
    takeBacklog: () => buffered.splice(0),
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

export function createInProcessPubSub<T extends TopicMap>(onPublishError: PublishErrorHandler = () => undefined): PubSub<T> {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    mode: 'in-process',
    async publish(topic, ...args) {
      const { channel, payload } = route(topic, args);
      // Nobody listening (most progress of batch children): nothing to serialise.
      if (emitter.listenerCount(channel) === 0) return;
      try {
        // Round-trip through JSON so in-process subscribers see exactly what Redis would carry.
        emitter.emit(channel, JSON.parse(JSON.stringify(payload), reviveDates));
      } catch (error) {
        onPublishError(error, channel);
      }
    },
    async listen(topic, ...id) {
      const channel = channelOf(topic, id);
      const handler = (value: unknown) => push(value as never);
      const { listener, push } = pushListener<never>(() => void emitter.off(channel, handler));
      emitter.on(channel, handler);
      return listener;
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

export function createRedisPubSub<T extends TopicMap>(url: string, keyPrefix: string, onPublishError: PublishErrorHandler): PubSub<T> {
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
  const prefixed = (channel: string) => `${keyPrefix}events:${channel}`;
  return {
    mode: 'redis',
    async publish(topic, ...args) {
      const { channel, payload } = route(topic, args);
      await pubsub.publish(prefixed(channel), payload).catch((error: unknown) => onPublishError(error, channel));
    },
    async listen(topic, ...id) {
      let subId: number | null = null;
      const { listener, push } = pushListener<never>(() => {
        if (subId !== null) pubsub.unsubscribe(subId);
      });
      // Resolves once Redis confirmed the SUBSCRIBE.
      subId = await pubsub.subscribe(prefixed(channelOf(topic, id)), (message: unknown) => push(message as never));
      return listener;
    },
    async close() {
      await pubsub.close().catch(() => undefined);
      // RedisPubSub.close() quits both; a quit that failed (Redis unreachable) leaves ioredis
      // reconnecting, as closeRedis() explains.
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
