import { describe } from '@jest/globals';

/** Redis-backed cases run only when REDIS_URL is set (CI's services path); otherwise they are skipped, loudly. */
export const describeWithRedis: typeof describe = process.env.REDIS_URL
  ? describe
  : (((name: string, fn: () => void) => {
      describe.skip(`${name} [skipped: REDIS_URL not set]`, fn);
    }) as unknown as typeof describe);
