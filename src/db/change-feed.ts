import pgListen, { type Subscriber } from 'pg-listen';
import type { Logger } from '../lib/logger.js';

/** What a cache in front of PostgreSQL hears from a feed. */
export interface ChangeListener {
  /** A row changed; `payload` is what the trigger sent (e.g. a key). */
  changed(payload: string): void;
  /** Notifications may have been missed (connection lost or just made): drop everything. */
  reset(): void;
}

/**
 * A PostgreSQL LISTEN channel followed over one dedicated connection: how a process learns
 * that rows it caches changed, whoever changed them (this process, another replica, a
 * command, plain SQL) — the table's trigger sends the notification when the change commits.
 * pg-listen keeps the connection (reconnects, re-LISTENs, checks it every 30 s).
 *
 * `live` is true only while the channel is listened to: a cache must not serve entries
 * otherwise, since a change made meanwhile would go unheard. The connection is opened by
 * the first `start()`, so processes that never consult the cache never open it.
 */
export class ChangeFeed {
  private subscriber: Subscriber | null = null;
  private readonly listeners = new Set<ChangeListener>();
  private isLive = false;
  private retryAt = 0;
  private closed = false;

  constructor(
    private readonly options: { url: string; channel: string; logger: Logger },
  ) {}

  get live(): boolean {
    return this.isLive;
  }

  listen(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the channel is listened to (starting the feed if needed). */
  async whenLive(): Promise<void> {
    this.start();
    if (this.isLive) return;
    await new Promise<void>((resolve) => {
      const stop = this.listen({ changed: () => undefined, reset: () => this.isLive && (stop(), resolve()) });
    });
  }

  /** Opens the connection in the background unless it is open or opening (or failed < 5 s ago). */
  start(): void {
    if (this.subscriber || this.closed || Date.now() < this.retryAt) return;
    const { url, channel, logger } = this.options;
    // pg-listen is CommonJS with an ES-style default export.
    const subscriber = pgListen.default(
      // A connection that dies silently (no FIN) is found by pg-listen's check every 30 s:
      // its query times out, and the feed reconnects (and is not live meanwhile).
      { connectionString: url, application_name: `quantql-listen:${channel}`, query_timeout: 5_000, keepAliveInitialDelayMillis: 10_000 },
      // Keep trying for as long as the process lives; the cache is simply bypassed meanwhile.
      { retryLimit: Infinity, retryTimeout: 0, retryInterval: (attempt) => Math.min(250 * 2 ** attempt, 5_000), parse: String },
    );
    this.subscriber = subscriber;
    subscriber.events.on('notification', ({ payload }) => {
      for (const listener of this.listeners) listener.changed(String(payload ?? ''));
    });
    subscriber.events.on('reconnect', () => this.setLive(false));
    subscriber.events.on('connected', () => {
      // pg-listen emits this before its first LISTEN; live waits for the LISTEN below.
      if (subscriber.getSubscribedChannels().length) this.setLive(true);
    });
    subscriber.events.on('error', (error) => {
      logger.warn({ err: error, channel }, 'change feed lost; cache bypassed until it is back');
      this.setLive(false);
    });
    subscriber
      .connect()
      .then(() => subscriber.listenTo(channel))
      .then(() => {
        if (this.subscriber === subscriber) this.setLive(true);
      })
      .catch((error: unknown) => {
        logger.warn({ err: error, channel }, 'change feed not connected; cache bypassed, retrying later');
        this.subscriber = null;
        this.retryAt = Date.now() + 5_000;
        void subscriber.close().catch(() => undefined);
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.setLive(false);
    const subscriber = this.subscriber;
    this.subscriber = null;
    await subscriber?.close().catch(() => undefined);
  }

  private setLive(live: boolean): void {
    // Every transition resets: going down, changes will be missed; coming up, some were.
    this.isLive = live;
    for (const listener of this.listeners) listener.reset();
  }
}
