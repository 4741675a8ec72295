import { Piscina } from 'piscina';
import { WorkInFlight } from '../lib/work-in-flight.js';
import { RunControl } from './run-control.js';
import type { BacktestAssumptions, BacktestMetrics, Candles, RunConfigInput, StrategyRequest, TradeColumns, ValidationIssue } from '../engine/index.js';

/** How long a cancelled run may take to notice its flag before its thread is terminated. */
const CANCEL_GRACE_MS = 250;
/** How often the progress of the runs listened to is sampled (the listener throttles events further). */
const DEFAULT_PROGRESS_POLL_MS = 100;

/** One backtest for an engine thread. */
export interface EngineTask {
  candles: Candles;
  strategy: StrategyRequest;
  config: RunConfigInput;
  /** The equity curve comes back downsampled to at most this many points. */
  maxEquityPoints: number;
  /** Bars between the engine's progress updates (when a progress listener is given). */
  progressEvery?: number;
}

/** What the thread sends back: the run's result, or why there is none. */
export type EngineOutcome =
  | {
      type: 'done';
      metrics: BacktestMetrics;
      assumptions: BacktestAssumptions;
      barsProcessed: number;
      totalBars: number;
      /** The curve downsampled to at most maxEquityPoints. */
      equity: { time: Float64Array; equity: Float64Array; drawdown: Float64Array };
      trades: TradeColumns;
    }
  | { type: 'cancelled'; barsProcessed: number }
  | { type: 'invalid'; message: string; issues: readonly ValidationIssue[] }
  | { type: 'crashed'; message: string };

/** A progress report: bars simulated so far and the equity at the last one's close (sampled, see createEnginePool). */
export type EngineProgress = (barsProcessed: number, totalBars: number, equity: number) => void;

export interface EngineRun {
  outcome: Promise<EngineOutcome>;
  /** Stops the run at its next check (every 4,096 bars), or before it starts. */
  cancel(): void;
}

/** Runs backtests off the caller's event loop (DESIGN.md §5). */
export interface EngineRunner {
  readonly threads: number;
  /**
   * Spawns the threads now and resolves once every one has loaded the engine, so the first
   * run neither waits for them nor shares the cores with their start-up (under tsx, loading
   * the engine is ≈ 1 s of CPU per thread). Resolves with the ids of the threads that
   * confirmed (one per thread); rejects when a thread cannot load the engine.
   */
  start(): Promise<readonly number[]>;
  /** Candle buffers are transferred to the thread: the caller must not use them afterwards. */
  run(task: EngineTask, onProgress?: EngineProgress): EngineRun;
  /** Resolves once no run is in flight — at once when none is; true when it had to wait. */
  whenIdle(): Promise<boolean>;
  close(): Promise<void>;
}

/** The message an engine thread receives (engine.thread.ts). */
export interface EngineThreadTask extends EngineTask {
  /** The run's control block (RunControl), shared: the thread sees a cancel and publishes progress without a message. */
  control: SharedArrayBuffer;
  /** Whether anyone reads the progress (the thread skips the updates otherwise). */
  reportsProgress: boolean;
}

/**
 * A pool of worker threads running the engine (piscina: queueing, thread respawn on a crash
 * or an abort, transfer lists). Each run has a shared RunControl: cancellation is its flag,
 * which the engine polls, backed by piscina's abort (which terminates the thread) when the
 * flag is not seen in time; progress is sampled from it every `progressPollMs` by one timer
 * for all the runs being listened to. With `lazy`, threads start on `start()` or the first
 * run, so a process that never runs a backtest (an API replica in services mode) never
 * spawns them.
 */
export function createEnginePool(threads: number, options: { lazy?: boolean; progressPollMs?: number } = {}): EngineRunner {
  let piscina: Piscina | null = null;
  let ready: Promise<readonly number[]> | null = null;
  const spawn = () => {
    // Under tsx/jest the sources are .ts and the thread needs tsx's loader; built code is .js.
    const typescript = import.meta.url.endsWith('.ts');
    return new Piscina({
      filename: new URL(typescript ? './engine-thread-loader.mjs' : './engine.thread.js', import.meta.url).href,
      workerData: typescript ? { entry: new URL('./engine.thread.ts', import.meta.url).href } : undefined,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.POSITIVE_INFINITY,
    });
  };
  if (!options.lazy) piscina = spawn();
  const inFlight = new WorkInFlight();
  // Runs whose progress someone listens to, sampled together (a timer only while there are any).
  const watched = new Set<() => void>();
  let poller: NodeJS.Timeout | null = null;
  const watch = (sample: () => void) => {
    watched.add(sample);
    poller ??= setInterval(() => watched.forEach((s) => s()), options.progressPollMs ?? DEFAULT_PROGRESS_POLL_MS).unref();
  };
  const unwatch = (sample: () => void) => {
    watched.delete(sample);
    if (watched.size === 0 && poller) {
      clearInterval(poller);
      poller = null;
    }
  };
  return {
    threads,
    start() {
      if (!ready) {
        const pool = (piscina ??= spawn());
        // A thread takes its first task only once it has loaded its module (piscina's worker
        // imports the file before it listens for tasks), and one task at a time: as many
        // no-op tasks as threads, started together, land one on each and settle when all
        // have loaded. Piscina marks its first threads ready at spawn, so it offers no such signal.
        ready = Promise.all(Array.from({ length: threads }, () => pool.run(null, { name: 'warmUp' }) as Promise<number>));
      }
      return ready;
    },
    run(task, onProgress) {
      const control = new RunControl();
      const abort = new AbortController();
      let cancelled = false;
      let settled = false;
      let hardStop: NodeJS.Timeout | undefined;
      let seenSeq = 0;
      const sample = () => {
        const p = control.readProgress(seenSeq);
        if (!p) return;
        seenSeq = p.seq;
        onProgress!(p.barsProcessed, p.totalBars, p.equity);
      };
      if (onProgress) watch(sample);
      const c = task.candles;
      // Plain ArrayBuffers move to the thread (no copy of the columns); SharedArrayBuffers are
      // shared as they are. Tested by tag, not instanceof: buffers may come from another realm.
      const transferList = [...new Set([c.time, c.open, c.high, c.low, c.close, c.volume].map((a) => a.buffer))].filter(
        (b): b is ArrayBuffer => Object.prototype.toString.call(b) === '[object ArrayBuffer]',
      );
      piscina ??= spawn();
      inFlight.begin();
      const message: EngineThreadTask = { ...task, control: control.buffer, reportsProgress: onProgress !== undefined };
      const outcome = (piscina.run(message, { transferList, signal: abort.signal }) as Promise<EngineOutcome>)
        .catch((error: unknown): EngineOutcome => {
          if (cancelled && (error as Error).name === 'AbortError') return { type: 'cancelled', barsProcessed: control.lastBarsProcessed };
          return { type: 'crashed', message: error instanceof Error ? error.message : String(error) };
        })
        .finally(() => {
          settled = true;
          clearTimeout(hardStop);
          if (onProgress) unwatch(sample);
          inFlight.end();
        });
      return {
        outcome,
        cancel() {
          if (cancelled || settled) return;
          cancelled = true;
          // The engine polls the flag every 4,096 bars of its simulation, but not while it
          // computes a long series' indicators (over a second for millions of bars): a run
          // still going after the grace period loses its thread (piscina replaces it).
          control.cancel();
          hardStop = setTimeout(() => abort.abort(), CANCEL_GRACE_MS);
          hardStop.unref();
        },
      };
    },
    whenIdle: () => inFlight.whenIdle(),
    async close() {
      await piscina?.destroy();
    },
  };
}
