import { setImmediate } from 'node:timers/promises';
import type { Listener, PubSub } from '../../events/pubsub.js';
import type { Backtest } from '../../generated/prisma/client.js';
import { NotFoundError, ShuttingDownError } from '../../lib/errors.js';
import type { Viewer } from '../accounts/access.js';
import { backtestStateEvent, batchStateEvent, isTerminal, type BacktestProgressEvent, type BacktestTopics, type BatchProgressEvent } from './backtests.events.js';
import type { BacktestsRepository } from './backtests.repository.js';

export interface BacktestEventsDeps {
  repository: BacktestsRepository;
  pubsub: PubSub<BacktestTopics>;
  now?: () => Date;
}

/**
 * What subscribers read: a run's or a batch's current state, then the events
 * BacktestRunService publishes, until the terminal one. Every stream listens to its topic
 * BEFORE it reads the current state (nothing published in between is lost) and sends that
 * state first, so a dashboard that connects late — even after the end — still gets the
 * terminal item.
 */
export class BacktestEventsService {
  private readonly now: () => Date;
  /** One load per event, however many subscribers resolve it (see findChildOfEvent). */
  private readonly eventChildren = new WeakMap<BatchProgressEvent, Promise<Backtest | null>>();
  /** Aborted by endStreams(): every open stream, and any opened later, ends with its reason. */
  private readonly stopping = new AbortController();

  constructor(private readonly deps: BacktestEventsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Current state first, then progress until a terminal status. Each event is the run's whole
   * state, so a subscriber that falls behind (a thousand dashboards on one API process) skips
   * to the newest one it has received instead of replaying the backlog.
   * @throws NotFoundError on subscribe.
   */
  watchProgress(viewer: Viewer, id: string, signal?: AbortSignal): AsyncGenerator<BacktestProgressEvent> {
    let bars = 0;
    // The stream itself, not a generator around it: each layer of async generators is three
    // more promise steps per event and subscriber, and a thousand subscribers take every
    // event through them together (docs/performance.md, fan-out).
    return this.follow(
      () => this.getVisibleRun(viewer, id),
      () => this.deps.pubsub.listen('backtest', id),
      async (current) => {
        bars = current.barsProcessed;
        return { items: [backtestStateEvent(current, this.now())], done: isTerminal(current.status) };
      },
      (event) => {
        // A progress event older than the state already sent (published before it was read).
        if (event.status === 'RUNNING' && event.barsProcessed < bars) return { items: [], done: false };
        bars = Math.max(bars, event.barsProcessed);
        return { items: [event], done: isTerminal(event.status) };
      },
      'latest',
      signal,
    );
  }

  /** Exactly one item: the finished backtest (at once if it already finished). @throws NotFoundError on subscribe. */
  watchCompletion(viewer: Viewer, id: string, signal?: AbortSignal): AsyncGenerator<Backtest> {
    return this.follow(
      () => this.getVisibleRun(viewer, id),
      () => this.deps.pubsub.listen('backtest', id),
      async (current) => ({ items: isTerminal(current.status) ? [current] : [], done: isTerminal(current.status) }),
      async (event) => (isTerminal(event.status) ? { items: [(await this.deps.repository.findRun(id))!], done: true } : { items: [], done: false }),
      'all',
      signal,
    );
  }

  /** Current counters first, then one event per finished child, until the batch's terminal status. @throws NotFoundError on subscribe. */
  watchBatch(viewer: Viewer, id: string, signal?: AbortSignal): AsyncGenerator<BatchProgressEvent> {
    return this.follow(
      async () => {
        const batch = await this.deps.repository.findVisibleBatch(viewer, id);
        if (!batch) throw new NotFoundError('BacktestBatch', id);
        return batch;
      },
      () => this.deps.pubsub.listen('batch', id),
      async (current) => ({ items: [batchStateEvent(current, null, this.now())], done: isTerminal(current.status) }),
      (event) => ({ items: [event], done: isTerminal(event.status) }),
      'all',
      signal,
    );
  }

  /**
   * Ends every open stream (and refuses new ones) with ShuttingDownError: on SIGTERM the
   * subscribers learn why their stream ended, and the HTTP server can close its connections
   * instead of waiting for streams that would never end.
   */
  endStreams(): void {
    this.stopping.abort(new ShuttingDownError());
  }

  /**
   * The child a batch progress event announces: the row the event carries, else loaded once
   * per event, however many subscribers of the batch resolve it (they share the event object
   * the pub/sub delivers).
   * The subscriber was authorised for the batch, whose children share its owner.
   */
  findChildOfEvent(event: BatchProgressEvent): Promise<Backtest | null> {
    if (!event.backtestId) return Promise.resolve(null);
    if (event.backtest) return Promise.resolve(event.backtest);
    let found = this.eventChildren.get(event);
    if (!found) {
      found = this.deps.repository.findRun(event.backtestId);
      this.eventChildren.set(event, found);
    }
    return found;
  }

  /**
   * The shape of every stream: authorise (read once: NotFoundError before anything is
   * subscribed), listen, read the current state, send what it opens with, follow events —
   * every one, or with `backlog: 'latest'` only the newest of those waiting (events that are
   * whole states, where a newer one supersedes the rest). An aborted `signal` ends the
   * stream at once with its reason (the subscriber's API key was revoked; the server is
   * shutting down).
   */
  private async *follow<S, E, Y>(
    read: () => Promise<S>,
    listen: () => Promise<Listener<E>>,
    opening: (current: S) => Promise<{ items: Y[]; done: boolean }>,
    /** Synchronous where it can be: an await per event and subscriber is not free. */
    next: (event: E) => { items: Y[]; done: boolean } | Promise<{ items: Y[]; done: boolean }>,
    backlog: 'all' | 'latest' = 'all',
    subscriberSignal?: AbortSignal,
  ): AsyncGenerator<Y> {
    // Both listened to directly (not through AbortSignal.any()): the shutdown signal lives as
    // long as the process, and nothing of this stream stays attached to it after `finally`.
    const signals = subscriberSignal ? [subscriberSignal, this.stopping.signal] : [this.stopping.signal];
    const throwIfAborted = () => signals.find((s) => s.aborted)?.throwIfAborted();
    throwIfAborted();
    await read();
    const listener = await listen();
    // Closing the listener ends a for-await waiting on it (a generator cannot be returned
    // from while it waits).
    const abort = () => void listener.close();
    for (const signal of signals) signal.addEventListener('abort', abort, { once: true });
    try {
      const first = await opening(await read());
      throwIfAborted();
      // (for…of, not yield* of an array: that goes through an async-from-sync iterator.)
      for (const item of first.items) yield item;
      if (first.done) return;
      for await (const received of listener) {
        const event = backlog === 'latest' ? (listener.takeBacklog().at(-1) ?? received) : received;
        const pending = next(event);
        const step = pending instanceof Promise ? await pending : pending;
        for (const item of step.items) yield item;
        if (step.done) {
          // The stream's end (listener closed, every layer above returning, the response's
          // last chunk) waits for the event loop's next turn: with a thousand subscribers of
          // one run, their terminal events go out to the sockets first, instead of after all
          // of their teardowns (fan-out p99, docs/performance.md).
          await setImmediate();
          return;
        }
      }
      throwIfAborted();
    } finally {
      for (const signal of signals) signal.removeEventListener('abort', abort);
      await listener.close();
    }
  }

  private async getVisibleRun(viewer: Viewer, id: string): Promise<Backtest> {
    const backtest = await this.deps.repository.findVisibleRun(viewer, id);
    if (!backtest) throw new NotFoundError('Backtest', id);
    return backtest;
  }
}

