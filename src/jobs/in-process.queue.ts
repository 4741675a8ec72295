import type { Job, JobHandler, JobQueue } from './queue.js';
import { PermanentJobError } from './queue.js';

const ATTEMPTS = 3;

/**
 * Embedded mode's queue: FIFO in memory, `concurrency` handlers at a time, same retry rules
 * as BullMQ. Nothing is lost on restart: jobs mirror rows whose status is QUEUED/RUNNING,
 * and the API re-enqueues those at start (see recoverUnfinishedJobs).
 */
export class InProcessQueue implements JobQueue {
  readonly mode = 'in-process' as const;
  private readonly waiting: Job[] = [];
  private readonly queued = new Set<string>();
  private active = 0;
  private failed = 0;
  private handler: JobHandler | null = null;
  private concurrency = 1;
  private closed = false;
  private readonly idle = new Set<() => void>();

  async enqueue(job: Job): Promise<void> {
    if (this.closed) throw new Error('queue closed');
    if (this.queued.has(job.id)) return;
    this.queued.add(job.id);
    this.waiting.push(job);
    this.pump();
  }

  async remove(job: Job): Promise<void> {
    const i = this.waiting.findIndex((j) => j.id === job.id);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      this.queued.delete(job.id);
    }
  }

  async counts() {
    return { waiting: this.waiting.length, active: this.active, delayed: 0, failed: this.failed };
  }

  consume(handler: JobHandler, concurrency: number): void {
    this.handler = handler;
    this.concurrency = Math.max(1, concurrency);
    this.pump();
  }

  private pump(): void {
    while (this.handler && !this.closed && this.active < this.concurrency && this.waiting.length) {
      const job = this.waiting.shift()!;
      this.active++;
      void this.run(job).finally(() => {
        this.active--;
        this.queued.delete(job.id);
        if (this.active === 0 && this.waiting.length === 0) for (const resolve of this.idle) resolve();
        this.pump();
      });
    }
  }

  private async run(job: Job): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await this.handler!(job, { number: attempt, isLast: attempt === ATTEMPTS });
        return;
      } catch (error) {
        if (error instanceof PermanentJobError || attempt === ATTEMPTS || this.closed) {
          this.failed++;
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  /** Resolves when nothing is running or waiting (graceful shutdown drains work). */
  drained(): Promise<void> {
    if (this.active === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
  }
}
