import { LRUCache } from 'lru-cache';
import type { ChangeFeed } from '../../db/change-feed.js';
import type { ApiKey } from '../../generated/prisma/client.js';

/** The PostgreSQL channel api_key's trigger notifies (payload: the changed key's hash). */
export const API_KEY_CHANNEL = 'quantql_api_key_changed';

/**
 * Authenticated keys by hash, so a request does not pay a statement (≈ 2 ms here) to learn
 * what it learnt a moment ago. Safe because it is trusted only while the change feed is
 * live: a revocation (or any other change to the row, by any process or by hand) evicts
 * the key as soon as it commits, and a lost feed empties the cache and bypasses it. The
 * TTL bounds what a feed that is silently behind could cost.
 *
 * A lookup that raced a change must not put back what the change evicted: `begin()` before
 * the database read returns the generation; `set` is ignored when a change (or a reset)
 * has happened since.
 */
export class KeyCache {
  private readonly entries: LRUCache<string, ApiKey>;
  private generation = 0;

  constructor(
    private readonly feed: ChangeFeed,
    options: { ttlMs: number; max?: number },
  ) {
    this.entries = new LRUCache({ max: options.max ?? 10_000, ttl: options.ttlMs });
    feed.listen({
      changed: (hash) => {
        if (hash === '*') return this.clear(); // the table was truncated
        this.generation += 1;
        this.entries.delete(hash);
      },
      reset: () => this.clear(),
    });
  }

  /** The cached row, or undefined (also whenever the feed is not live). */
  get(hash: string): ApiKey | undefined {
    this.feed.start();
    return this.feed.live ? this.entries.get(hash) : undefined;
  }

  /** Call before reading the row from the database; pass the result to `set`. */
  begin(): number {
    return this.generation;
  }

  set(hash: string, row: ApiKey, generation: number): void {
    if (this.feed.live && generation === this.generation) this.entries.set(hash, row);
  }

  /**
   * Calls `changed` when the key with `hash` changes (or the table is emptied), and `recheck`
   * when changes may have been missed; returns the function that stops listening.
   */
  onChange(hash: string, changed: () => void, recheck: () => void): () => void {
    this.feed.start();
    return this.feed.listen({
      changed: (h) => {
        if (h === hash || h === '*') changed();
      },
      reset: recheck,
    });
  }

  /** Forgets every key (this process changed keys: don't wait for the notification). */
  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
