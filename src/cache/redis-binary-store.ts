import { Redis } from 'ioredis';
import { closeRedis } from '../lib/redis-close.js';

/**
 * Byte strings by key with a time to live: the second level of quantql's caches. Every call
 * is best effort for the caller: when Redis is down it rejects at once (no offline queue, no
 * retries), and the cache above treats that as a miss — nothing waits for a reconnect.
 */
export interface BinaryStore {
  getMany(keys: readonly string[]): Promise<Array<Buffer | null>>;
  set(key: string, value: Buffer, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}

export function createRedisBinaryStore(url: string, keyPrefix: string): BinaryStore {
  const redis = new Redis(url, {
    keyPrefix: `${keyPrefix}cache:`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  });
  redis.on('error', () => undefined);
  return {
    async getMany(keys) {
      if (keys.length === 0) return [];
      return redis.mgetBuffer(...keys);
    },
    async set(key, value, ttlSeconds) {
      await redis.set(key, value, 'EX', ttlSeconds);
    },
    async close() {
      await closeRedis(redis);
    },
  };
}
