import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DomainError } from '../lib/errors.js';
import { closeRedis } from '../lib/redis-close.js';
import { jobCatalog, type JobName, type JobPayload } from './catalog.js';
import { dispatchJob, jobIdOf, type JobEvents, type JobHandlers, type JobQueue } from './queue.js';

/** The BullMQ queue every process shares (under the key prefix's `bull` namespace). */
export const QUEUE = 'backtests';

/**
 * BullMQ transport. The job id comes from the catalog (a backtest's or batch's id), so
 * enqueueing twice is a no-op; infrastructure errors retry with exponential backoff; domain
 * errors (DomainError: bad input, no data) fail at once. Stalled jobs (a worker died) are
 * picked up again after `stalledIntervalMs`; handlers are idempotent by id.
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
    private readonly options: { stalledIntervalMs: number; lockDurationMs?: number },
  ) {
    // BullMQ requires maxRetriesPerRequest: null on its connections; no offline queue, so
    // an enqueue while Redis is down fails at once (QueueUnavailableError) instead of hanging.
    this.connection = new Redis(url, { maxRetriesPerRequest: null, enableOfflineQueue: false });
    this.connection.on('error', () => undefined);
    this.queue = new Queue(QUEUE, { connection: this.connection, prefix: `${prefix}bull` });
    this.queue.on('error', () => undefined);
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void> {
    const { attempts, backoffMs } = jobCatalog[name];
    await this.queue.add(name, payload, {
      jobId: jobIdOf(name, payload),
      attempts,
      backoff: { type: 'exponential', delay: backoffMs },
      removeOnComplete: { age: 3_600, count: 10_000 },
      removeOnFail: { age: 24 * 3_600 },
    });
  }

  async remove<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void> {
    await this.queue.remove(jobIdOf(name, payload)).catch(() => undefined);
  }

  async ping(): Promise<{ ok: true } | { ok: false; reason: string }> {
    // Bounded: a Redis that accepts but does not answer must not hang /ready.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 1 s')), 1_000);
    });
    try {
      await Promise.race([this.connection.ping(), timeout]);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `redis unreachable: ${(error as Error).message || (error as Error).name}` };
    } finally {
      clearTimeout(timer);
    }
  }

  async counts() {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
    return { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
  }

  consume(handlers: JobHandlers, concurrency: number, events: JobEvents = {}): void {
    const connection = this.connection.duplicate({ maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    this.workerConnection = connection;
    this.worker = new Worker(
      QUEUE,
      async (job) => {
        const attempts = job.opts.attempts ?? 1;
        const attempt = { number: job.attemptsMade + 1, isLast: job.attemptsMade + 1 >= attempts };
        events.started?.({ name: job.name, id: job.id ?? '' }, attempt);
        try {
          await dispatchJob(handlers, job.name, job.data, attempt);
        } catch (error) {
          events.failed?.({ name: job.name, id: job.id ?? '' }, attempt, error);
          if (error instanceof DomainError) throw new UnrecoverableError(error.message);
          throw error;
        }
      },
      {
        connection,
        prefix: `${this.prefix}bull`,
        concurrency,
        stalledInterval: this.options.stalledIntervalMs,
        lockDuration: this.options.lockDurationMs ?? 10_000,
        maxStalledCount: 3,
      },
    );
    this.worker.on('error', () => undefined);
  }

  async stopConsuming(): Promise<void> {
    // BullMQ's close waits for the active jobs to finish.
    await this.worker?.close();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    // Connections passed in are ours to close (BullMQ closes only those it created).
    await closeRedis(this.workerConnection);
    await closeRedis(this.connection);
  }
}
