/**
 * One queue interface, two transports (DESIGN.md §5): BullMQ on Redis (jobs shared by
 * every worker process, `jobId` = backtest id so a job is never queued twice, retries with
 * backoff for infrastructure errors) and an in-process queue for embedded mode.
 */
export type JobName = 'backtest.run' | 'backtest.batch';

export interface Job {
  name: JobName;
  /** Backtest id or batch id; also the job id (duplicates are ignored). */
  id: string;
}

/** Thrown by a handler for failures a retry cannot fix (bad input, no data): no retry. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export type JobHandler = (job: Job, attempt: { number: number; isLast: boolean }) => Promise<void>;

export interface JobQueue {
  readonly mode: 'bullmq' | 'in-process';
  enqueue(job: Job): Promise<void>;
  /** Removes a job that has not started (best effort). */
  remove(job: Job): Promise<void>;
  counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number }>;
  /** Consumes jobs with `handler` (workers; the API too in embedded mode). */
  consume(handler: JobHandler, concurrency: number): void;
  close(): Promise<void>;
}
