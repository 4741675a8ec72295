import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError } from '../lib/errors.js';
import { isJobName, jobCatalog, type JobName, type JobPayload } from './catalog.js';

/**
 * One queue interface, two transports (DESIGN.md §5): BullMQ on Redis (jobs shared by every
 * worker process) and an in-process queue for embedded mode. Both take their names, payload
 * schemas, job ids and retry policy from the catalog, and validate payloads when consuming.
 */
export interface Attempt {
  /** 1 for the first run. */
  number: number;
  /** No retry follows this attempt: a failure is final. */
  isLast: boolean;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, attempt: Attempt) => Promise<void>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };

/** Reported for every job a consumer starts and ends (logs). */
export interface JobEvents {
  started?(job: { name: string; id: string }, attempt: Attempt): void;
  failed?(job: { name: string; id: string }, attempt: Attempt, error: unknown): void;
}

export interface JobQueue {
  readonly mode: 'bullmq' | 'in-process';
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void>;
  /** Removes a job that has not started (best effort). */
  remove<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void>;
  counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number }>;
  /** Can jobs be enqueued now? Never throws: the reason when not (readiness reports it). */
  ping(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Consumes jobs with their handlers (workers; the API too in embedded mode). */
  consume(handlers: JobHandlers, concurrency: number, events?: JobEvents): void;
  /** Takes no more jobs and resolves once the running ones have finished (graceful shutdown). */
  stopConsuming(): Promise<void>;
  /** Closes the queue's connections (after stopConsuming, when this process consumed). */
  close(): Promise<void>;
}

/**
 * Resolves once no job is waiting or running on the queue — in any process, with BullMQ —
 * or `signal` is aborted, and says whether it had to wait. Polled every `pollMs` (unref'd: it
 * never keeps a process alive): BullMQ's `drained` event says the wait list emptied, not that
 * the jobs taken from it have finished. A count that fails (Redis down) counts as idle:
 * callers use this to put off background work, never to hold up a job.
 */
export async function whenQueueIdle(queue: Pick<JobQueue, 'counts'>, options: { signal?: AbortSignal; pollMs?: number } = {}): Promise<boolean> {
  for (let waited = false; !options.signal?.aborted; waited = true) {
    const counts = await queue.counts().catch(() => null);
    if (!counts || counts.waiting + counts.active === 0) return waited;
    await sleep(options.pollMs ?? 100, undefined, { ref: false });
  }
  return true;
}

/** The catalog's job id of a payload. */
export function jobIdOf<N extends JobName>(name: N, payload: JobPayload<N>): string {
  return (jobCatalog[name].jobId as (p: JobPayload<N>) => string)(payload);
}

/**
 * Runs a consumed job: checks its name and payload against the catalog, then calls its
 * handler. A malformed job is a ValidationError — a domain error, so it is never retried.
 */
export async function dispatchJob(handlers: JobHandlers, name: string, data: unknown, attempt: Attempt): Promise<void> {
  if (!isJobName(name)) throw new ValidationError([{ path: ['name'], message: `unknown job ${JSON.stringify(name)}` }]);
  const parsed = jobCatalog[name].schema.safeParse(data);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((i) => ({ path: ['payload', ...i.path.map(String)], message: i.message })));
  }
  await (handlers[name] as JobHandler<typeof name>)(parsed.data as JobPayload<typeof name>, attempt);
}
