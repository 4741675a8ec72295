import { z } from 'zod';

/**
 * Every job quantql runs: its payload schema (checked when a job is consumed, on both queue
 * transports), the job id that makes enqueueing idempotent, and its retry policy. Handlers
 * (one file per job) turn a valid payload into a service call.
 */
interface JobDefinition<S extends z.ZodType> {
  schema: S;
  /** Job id: enqueueing a job whose id is queued or running already is a no-op. */
  jobId(payload: z.infer<S>): string;
  /** Runs at most this many times; infrastructure errors retry, domain errors never do. */
  attempts: number;
  /** First retry delay; doubles on every further attempt. */
  backoffMs: number;
}

const defineJob = <S extends z.ZodType>(definition: JobDefinition<S>) => definition;

export const jobCatalog = {
  /** One backtest (runBacktest). */
  'backtest.run': defineJob({
    schema: z.object({ backtestId: z.uuid() }),
    jobId: (p) => p.backtestId,
    attempts: 3,
    backoffMs: 1_000,
  }),
  /** A batch's start (runBacktestBatch): it queues the batch's chunks. */
  'backtest.batch': defineJob({
    schema: z.object({ batchId: z.uuid() }),
    jobId: (p) => p.batchId,
    attempts: 3,
    backoffMs: 1_000,
  }),
  /** A chunk of a batch: up to 64 children, run by whichever worker takes it. */
  'backtest.batch-chunk': defineJob({
    schema: z.object({ batchId: z.uuid(), index: z.number().int().min(0), backtestIds: z.array(z.uuid()).min(1).max(1_000) }),
    // Not ':' (BullMQ reserves it in job ids).
    jobId: (p) => `${p.batchId}.${p.index}`,
    attempts: 3,
    backoffMs: 1_000,
  }),
};

export type JobName = keyof typeof jobCatalog;
export type JobPayload<N extends JobName> = z.infer<(typeof jobCatalog)[N]['schema']>;
export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobCatalog, name);
}
