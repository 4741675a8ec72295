import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Job, JobHandler, JobQueue, JobName } from './queue.js';
import { PermanentJobError } from './queue.js';

const QUEUE = 'backtests';
const ATTEMPTS = 3;

/**
 * BullMQ transport. `jobId` is the backtest (or batch) id, so enqueueing twice is a no-op;
 * infrastructure errors retry with exponential backoff; PermanentJobError fails at once.
 * Stalled jobs (a worker died) are picked up again after `stalledInterval`; handlers are
 * idempotent by id, so a re-run rewrites the same rows.
 */
export class BullMqQueue implements JobQueue {
  readonly mode = 'bullmq' as const;
  private readonly connection: Redis;
  private readonly queue: Queue;
  private worker: Worker | null = null;
  private workerConnection: Redis | null = null;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly options: { stalledIntervalMs?: number; lockDurationMs?: number } = {},
  ) {
    // BullMQ requires maxRetriesPerRequest: null on its connections.
    this.connection = new Redis(url, { maxRetriesPerRequest: null, enableOfflineQueue: false });
    this.connection.on('error', () => undefined);
    this.queue = new Queue(QUEUE, { connection: this.connection, prefix: `${prefix}bull` });
    this.queue.on('error', () => undefined);
  }

  async enqueue(job: Job): Promise<void> {
    await this.queue.add(job.name, { id: job.id }, {
      jobId: job.id,
      attempts: ATTEMPTS,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 3_600, count: 10_000 },
      removeOnFail: { age: 24 * 3_600 },
    });
  }

  async remove(job: Job): Promise<void> {
    await this.queue.remove(job.id).catch(() => undefined);
  }

  async counts() {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
    return { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
  }

  consume(handler: JobHandler, concurrency: number): void {
    const connection = this.connection.duplicate({ maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    this.workerConnection = connection;
    this.worker = new Worker(
      QUEUE,
      async (job) => {
        const attempt = job.attemptsMade + 1;
        try {
          await handler({ name: job.name as JobName, id: (job.data as { id: string }).id }, { number: attempt, isLast: attempt >= ATTEMPTS });
        } catch (error) {
          if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
          throw error;
        }
      },
      {
        connection,
        prefix: `${this.prefix}bull`,
        concurrency,
        stalledInterval: this.options.stalledIntervalMs ?? 5_000,
        lockDuration: this.options.lockDurationMs ?? 10_000,
        maxStalledCount: 3,
      },
    );
    this.worker.on('error', () => undefined);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    // Connections passed in are ours to close (BullMQ closes only those it created).
    await this.workerConnection?.quit().catch(() => undefined);
    await this.connection.quit().catch(() => undefined);
  }
}
