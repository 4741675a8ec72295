import type pg from 'pg';
import type { Dialect } from '../../db/dialect.js';
import { INTERVALS, type IntervalName } from '../../lib/intervals.js';
import type { Logger } from '../../lib/logger.js';
import { refreshContinuousAggregates, touchedWindow } from './derived-candles.js';
import { findInstrumentsBehind, markAggregatesRefreshed } from './instrument.store.js';

export interface AggregateRefreshTiming {
  /** Refresh once ingests have paused this long… */
  quietMs: number;
  /** …or this long after the first ingest that is still waiting, whichever comes first. */
  maxWaitMs: number;
  /** Looks for instruments left behind by other processes (an import command, a crash). */
  sweepMs: number;
}

export const DEFAULT_AGGREGATE_REFRESH: AggregateRefreshTiming = { quietMs: 1_000, maxWaitMs: 60_000, sweepMs: 60_000 };

/**
 * Brings TimescaleDB's continuous aggregates up to date for the instruments whose data moved
 * ahead of them (instrument.aggregates_version < data_version), many ingests at a time.
 *
 * A refresh materialises a time window for every instrument in it, so its cost follows the
 * data in the window, not the instruments that changed: one refresh per ingest made a bulk
 * load of N symbols cost O(N²). Here ingests only record what they changed; a refresh runs
 * once they pause (or at the latest `maxWaitMs` after the first), over the union of their
 * windows, and marks exactly the versions it saw as reflected — an instrument ingested
 * meanwhile stays behind for the next one. Reads never wait for it: an instrument behind is
 * read from its raw bars (planCandleRead), so no read returns stale or partial aggregates.
 * The state lives in the database, so a refresh lost with its process is done by the next
 * sweep of any process.
 *
 * Hand-written rather than a queue job: the debounce (quiet period with a ceiling) and the
 * single-flight run are a few lines over timers, and it must also run where no job queue is
 * consumed (the API process on the services path).
 */
export class AggregateRefresher {
  private timer: NodeJS.Timeout | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private waitingSince = 0;
  private running: Promise<number> | null = null;
  private stopped = false;
  private lastDurationMs = 0;

  constructor(
    private readonly deps: {
      pool: pg.Pool;
      dialect: Dialect;
      logger: Logger;
      timing?: AggregateRefreshTiming;
      /** Called after each refresh, with how many instruments it brought up to date. */
      onRefreshed?: (instruments: number) => void;
    },
  ) {}

  private get timing(): AggregateRefreshTiming {
    return this.deps.timing ?? DEFAULT_AGGREGATE_REFRESH;
  }

  /** After an ingest committed (here or elsewhere): refresh once ingests pause. */
  schedule(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (!this.timer) this.waitingSince = now;
    else clearTimeout(this.timer);
    // The ceiling grows with the last refresh's duration: refreshes take at most a twentieth
    // of the time while ingests keep coming (a bulk load), however large the window has grown.
    const maxWaitMs = Math.max(this.timing.maxWaitMs, 19 * this.lastDurationMs);
    const delay = Math.max(0, Math.min(this.timing.quietMs, this.waitingSince + maxWaitMs - now));
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refreshNow().catch(() => undefined);
    }, delay);
    this.timer.unref();
  }

  /** Sweeps for instruments behind every `sweepMs` (and once now). */
  startSweeping(): void {
    if (this.sweeper || this.stopped) return;
    this.schedule();
    this.sweeper = setInterval(() => this.schedule(), this.timing.sweepMs);
    this.sweeper.unref();
  }

  /**
   * Refreshes now; while one runs, runs once more after it (it may have missed the latest
   * ingests). Returns how many instruments the last run brought up to date.
   * @throws the database's error (also logged); the instruments stay behind.
   */
  async refreshNow(): Promise<number> {
    if (this.running) {
      await this.running.catch(() => undefined);
      return this.refreshNow();
    }
    this.running = this.refreshOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops scheduling and waits for a refresh in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.sweeper) clearInterval(this.sweeper);
    this.timer = this.sweeper = null;
    await this.running?.catch(() => undefined);
  }

  private async refreshOnce(): Promise<number> {
    const started = performance.now();
    try {
      const behind = await findInstrumentsBehind(this.deps.pool);
      if (behind.length === 0) {
        this.deps.onRefreshed?.(0);
        return 0;
      }
      const windows = behind.map((i) => touchedWindow(INTERVALS[i.baseInterval as IntervalName], i.staleFromMs, i.staleToMs));
      await refreshContinuousAggregates(this.deps.pool, this.deps.dialect, windows);
      const refreshed = await markAggregatesRefreshed(this.deps.pool, behind);
      this.lastDurationMs = performance.now() - started;
      this.deps.logger.info({ instruments: refreshed, behind: behind.length, durationMs: Math.round(this.lastDurationMs) }, 'continuous aggregates refreshed');
      this.deps.onRefreshed?.(refreshed);
      return refreshed;
    } catch (error) {
      // They stay behind (read from raw bars) until the next ingest or sweep.
      this.deps.logger.warn({ err: error }, 'continuous aggregate refresh failed');
      throw error;
    }
  }
}
