import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BacktestAssumptions, BacktestMetrics, Candles, RunConfigInput, ValidationIssue } from '../engine/index.js';

/** Trades as columns, one entry per trade (side +1 long, −1 short). */
export interface TradeColumnsOut {
  side: Int8Array;
  entryTime: Float64Array;
  entryPrice: Float64Array;
  exitTime: Float64Array;
  exitPrice: Float64Array;
  quantity: Float64Array;
  pnl: Float64Array;
  returnPct: Float64Array;
  fees: Float64Array;
  barsHeld: Int32Array;
}

export interface EngineTask {
  taskId: number;
  candles: Candles;
  strategy: { kind: string; params: Record<string, number> };
  config: RunConfigInput;
  progressEvery: number;
  maxEquityPoints: number;
  /** SharedArrayBuffer(4): set to 1 to cancel. */
  cancel: SharedArrayBuffer;
}

export type EngineMessage =
  | { taskId: number; type: 'progress'; barsProcessed: number; totalBars: number; equity: number }
  | {
      taskId: number;
      type: 'done';
      metrics: BacktestMetrics;
      assumptions: BacktestAssumptions;
      barsProcessed: number;
      totalBars: number;
      equity: { time: number[]; equity: number[]; drawdown: number[] };
      trades: TradeColumnsOut;
    }
  | { taskId: number; type: 'cancelled'; barsProcessed: number }
  | { taskId: number; type: 'invalid'; message: string; issues: readonly ValidationIssue[] }
  | { taskId: number; type: 'crashed'; message: string };

export type EngineOutcome = Exclude<EngineMessage, { type: 'progress' }>;

export interface EngineRun {
  outcome: Promise<EngineOutcome>;
  cancel(): void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

/**
 * A fixed pool of worker threads running the engine (DESIGN.md §5: never on an event loop).
 * Tasks queue when every thread is busy; a thread that dies fails its task and is replaced.
 */
export class EnginePool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<() => void> = [];
  private readonly pending = new Map<number, { resolve: (o: EngineOutcome) => void; onProgress?: (b: number, t: number, e: number) => void; slot: Slot }>();
  private nextId = 1;
  private closed = false;

  constructor(readonly size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    // Under tsx/jest the sources are .ts and the thread needs tsx's loader; built code is .js.
    const typescript = import.meta.url.endsWith('.ts');
    const worker = typescript
      ? new Worker(new URL('./engine-thread-loader.mjs', import.meta.url), {
          workerData: { entry: new URL('./engine.thread.ts', import.meta.url).href },
        })
      : new Worker(new URL('./engine.thread.js', import.meta.url));
    worker.unref();
    const slot: Slot = { worker, busy: false };
    worker.on('message', (message: EngineMessage) => {
      const task = this.pending.get(message.taskId);
      if (!task) return;
      if (message.type === 'progress') {
        task.onProgress?.(message.barsProcessed, message.totalBars, message.equity);
        return;
      }
      this.pending.delete(message.taskId);
      this.release(slot);
      task.resolve(message);
    });
    worker.on('error', (error) => this.fail(slot, error));
    worker.on('exit', (code) => {
      if (!this.closed) this.fail(slot, new Error(`engine thread exited with code ${code}`));
    });
    return slot;
  }

  private fail(slot: Slot, error: Error): void {
    for (const [id, task] of this.pending) {
      if (task.slot === slot) {
        this.pending.delete(id);
        task.resolve({ taskId: id, type: 'crashed', message: error.message });
      }
    }
    if (this.closed) return;
    const index = this.slots.indexOf(slot);
    if (index >= 0) {
      void slot.worker.terminate().catch(() => undefined);
      this.slots[index] = this.spawn();
      this.release(this.slots[index]!);
    }
  }

  private release(slot: Slot): void {
    slot.busy = false;
    this.waiting.shift()?.();
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      const free = this.slots.find((s) => !s.busy);
      if (free) {
        free.busy = true;
        return free;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Runs one backtest on a free thread. Candle buffers are transferred (the caller must not reuse them). */
  run(
    task: Omit<EngineTask, 'taskId' | 'cancel'>,
    onProgress?: (barsProcessed: number, totalBars: number, equity: number) => void,
  ): EngineRun {
    const cancel = new SharedArrayBuffer(4);
    const flag = new Int32Array(cancel);
    const outcome = (async () => {
      const slot = await this.acquire();
      if (Atomics.load(flag, 0) === 1) {
        this.release(slot);
        return { taskId: 0, type: 'cancelled', barsProcessed: 0 } as EngineOutcome;
      }
      const taskId = this.nextId++;
      return new Promise<EngineOutcome>((resolve) => {
        this.pending.set(taskId, { resolve, onProgress, slot });
        const c = task.candles;
        const transfer = [c.time, c.open, c.high, c.low, c.close, c.volume]
          .map((a) => a.buffer as ArrayBuffer)
          .filter((b, i, all) => all.indexOf(b) === i);
        slot.worker.postMessage({ ...task, taskId, cancel } satisfies EngineTask, transfer);
      });
    })();
    return { outcome, cancel: () => Atomics.store(flag, 0, 1) };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
