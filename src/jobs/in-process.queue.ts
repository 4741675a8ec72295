import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '../lib/errors.js';
import { jobCatalog, type JobName, type JobPayload } from './catalog.js';
import { dispatchJob, jobIdOf, type JobEvents, type JobHandlers, type JobQueue } from './queue.js';

interface QueuedJob {
  name: JobName;
  id: string;
  data: unknown;
}

/**
 * Embedded mode's queue: FIFO in memory, `concurrency` handlers at a time, the catalog's
 * retry rules as with BullMQ. Nothing is lost on restart: jobs mirror rows whose status is
 * QUEUED/RUNNING, and the API re-enqueues those at start (BacktestRunService.resumeUnfinished).
 */
export class InProcessQueue implements JobQueue {
  readonly mode = 'in-process' as const;
  private readonly waiting: QueuedJob[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<Promise<void>>();
  private failed = 0;
  private handlers: JobHandlers | null = null;
  private events: JobEvents = {};
  private concurrency = 1;
  private closed = false;

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void> {
    if (this.closed) throw new Error('queue closed');
    const id = jobIdOf(name, payload);
    if (this.queued.has(id)) return;
    this.queued.add(id);
    this.waiting.push({ name, id, data: payload });
    this.pump();
  }

  async remove<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void> {
    const id = jobIdOf(name, payload);
    const i = this.waiting.findIndex((j) => j.id === id);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      this.queued.delete(id);
    }
  }

  async ping(): Promise<{ ok: true }> {
    return { ok: true };
  }

  async counts() {
    return { waiting: this.waiting.length, active: this.active.size, delayed: 0, failed: this.failed };
  }

  consume(handlers: JobHandlers, concurrency: number, events: JobEvents = {}): void {
    this.handlers = handlers;
    this.events = events;
    this.concurrency = Math.max(1, concurrency);
    this.pump();
  }

  private pump(): void {
    while (this.handlers && !this.closed && this.active.size < this.concurrency && this.waiting.length) {
      const job = this.waiting.shift()!;
      const running: Promise<void> = this.run(job).finally(() => {
        this.active.delete(running);
        this.queued.delete(job.id);
        this.pump();
      });
      this.active.add(running);
    }
  }

  private async run(job: QueuedJob): Promise<void> {
    const { attempts, backoffMs } = jobCatalog[job.name];
    for (let number = 1; number <= attempts; number++) {
      const attempt = { number, isLast: number === attempts };
      this.events.started?.({ name: job.name, id: job.id }, attempt);
      try {
        await dispatchJob(this.handlers!, job.name, job.data, attempt);
        return;
      } catch (error) {
        this.events.failed?.(job, attempt, error);
        if (error instanceof DomainError || attempt.isLast || this.closed) {
          this.failed++;
          return;
        }
        await sleep(backoffMs * 2 ** (number - 1));
        if (this.closed) return; // shutting down: the row stays QUEUED and the next start resumes it
      }
    }
  }

  /**
   * Takes no more jobs and waits for the running ones (waiting jobs are dropped: their rows
   * are QUEUED, and the next start resumes them).
   */
  async stopConsuming(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    await Promise.allSettled([...this.active]);
  }

  async close(): Promise<void> {
    await this.stopConsuming();
  }
}
