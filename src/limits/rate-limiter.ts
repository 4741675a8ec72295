import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { closeRedis } from '../lib/redis-close.js';

/** Points per key per window; `consume` answers how long to wait, or null when allowed. */
export interface RateLimiter {
  /** null: allowed (and counted); else milliseconds until a point is free again. */
  consume(key: string): Promise<number | null>;
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  /** Points per window; 0 turns the limiter off. */
  points: number;
  windowSeconds: number;
  /** Shared by every process through Redis; without it each process counts for itself. */
  redis: { url: string; keyPrefix: string } | null;
  /** Namespace of the keys (one per limited action). */
  name: string;
}

/**
 * A fixed-window rate limiter from rate-limiter-flexible: in Redis when there is one (every
 * API replica counts against the same budget), in memory otherwise (embedded mode). While
 * Redis is unreachable each process falls back to counting in memory (the library's
 * insurance limiter): a limit still holds per process, and nothing fails because of it.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (options.points <= 0) return { consume: async () => null, close: async () => undefined };
  const settings = { points: options.points, duration: options.windowSeconds, keyPrefix: options.name };
  let redis: Redis | null = null;
  let limiter: RateLimiterAbstract;
  if (options.redis) {
    // Commands wait for the connection while it is being made (a process's first request
    // would otherwise count in memory only), and fail after one reconnect attempt when Redis
    // is down: the insurance limiter then counts, within about a second.
    redis = new Redis(options.redis.url, {
      keyPrefix: options.redis.keyPrefix,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    redis.on('error', () => undefined);
    limiter = new RateLimiterRedis({ ...settings, storeClient: redis, insuranceLimiter: new RateLimiterMemory(settings) });
  } else {
    limiter = new RateLimiterMemory(settings);
  }
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return null;
      } catch (error) {
        if (error instanceof RateLimiterRes) return error.msBeforeNext;
        throw error;
      }
    },
    async close() {
      await closeRedis(redis);
    },
  };
}
