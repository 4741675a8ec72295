import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { WorkInFlight } from '../lib/work-in-flight.js';
import type { BacktestAssumptions, BacktestMetrics, Candles, RunConfigInput, StrategyRequest, TradeColumns, ValidationIssue } from '../engine/index.js';

/** How long a cancelled run may take to notice its flag before its thread is terminated. */
const CANCEL_GRACE_MS = 250;

/** One backtest for an engine thread. */
export interface EngineTask {
  candles: Candles;
  strategy: StrategyRequest;
  config: RunConfigInput;
  /** The equity curve comes back downsampled to at most this many points. */
  maxEquityPoints: number;
  /** Bars between progress reports (when a progress listener is given). */
  progressEvery?: number;
  /**
   * Reports closer together than this (ms) are not sent, except the first and the last: a
   * run of a few milliseconds sends two messages, not one per `progressEvery` bars.
   */
  progressIntervalMs?: number;
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

/** A progress report: bars simulated so far and the equity at the last one's close. */
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
  /** Int32 flag; 1 = cancel. Shared, so the running thread sees it without a message. */
  cancel: SharedArrayBuffer;
  /** Where progress reports go, when someone listens. */
  progress: MessagePort | null;
}

export interface EngineThreadProgress {
  barsProcessed: number;
  totalBars: number;
  equity: number;
}

/**
 * A pool of worker threads running the engine (piscina: queueing, thread respawn on a crash
 * or an abort, transfer lists). Cancellation is a shared flag the engine polls, backed by
 * piscina's abort (which terminates the thread) when the flag is not seen in time; progress
 * is a MessagePort per task. With `lazy`,
 * threads start on `start()` or the first run, so a process that never runs a backtest (an
 * API replica in services mode) never spawns them.
 */
export function createEnginePool(threads: number, options: { lazy?: boolean } = {}): EngineRunner {
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
      const cancel = new SharedArrayBuffer(4);
      const flag = new Int32Array(cancel);
      const abort = new AbortController();
      let cancelled = false;
      let settled = false;
      let lastBars = 0;
      let hardStop: NodeJS.Timeout | undefined;
      const channel = onProgress ? new MessageChannel() : null;
      channel?.port1.on('message', (p: EngineThreadProgress) => {
        lastBars = p.barsProcessed;
        onProgress!(p.barsProcessed, p.totalBars, p.equity);
      });
      const c = task.candles;
      // Plain ArrayBuffers move to the thread (no copy of the columns); SharedArrayBuffers are
      // shared as they are. Tested by tag, not instanceof: buffers may come from another realm.
      const transferList = [...new Set([c.time, c.open, c.high, c.low, c.close, c.volume].map((a) => a.buffer))].filter(
        (b): b is ArrayBuffer => Object.prototype.toString.call(b) === '[object ArrayBuffer]',
      );
      piscina ??= spawn();
      inFlight.begin();
      const message: EngineThreadTask = { ...task, cancel, progress: channel?.port2 ?? null };
      const outcome = (
        piscina.run(message, { transferList: channel ? [...transferList, channel.port2] : transferList, signal: abort.signal }) as Promise<EngineOutcome>
      )
        .catch((error: unknown): EngineOutcome => {
          if (cancelled && (error as Error).name === 'AbortError') return { type: 'cancelled', barsProcessed: lastBars };
          return { type: 'crashed', message: error instanceof Error ? error.message : String(error) };
        })
        .finally(() => {
          settled = true;
          clearTimeout(hardStop);
          channel?.port1.close();
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
          Atomics.store(flag, 0, 1);
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
