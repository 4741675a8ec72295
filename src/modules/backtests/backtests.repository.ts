import type { PrismaClient } from '../../db/prisma.js';
import type { Backtest, BacktestBatch, Prisma } from '../../generated/prisma/client.js';
import { isUuid } from '../../lib/ids.js';
import { ownerFilter, type Viewer } from '../accounts/access.js';

/** Selection and page a GraphQL resolver passes through (the Pothos prisma plugin's `query`). */
export type BacktestQuery = Omit<Prisma.BacktestFindManyArgs, 'where' | 'orderBy'>;
export type BacktestBatchQuery = Omit<Prisma.BacktestBatchFindManyArgs, 'where' | 'orderBy'>;

/** The columns a new backtest row is created with (status QUEUED unless given). */
export type NewBacktest = Omit<Prisma.BacktestUncheckedCreateInput, 'id'>;

/**
 * Prisma access to `backtest`, `backtest_batch` and `backtest_result`, owned by the backtests module:
 * creation and reads. The run lifecycle's conditional and set-based writes are raw SQL in
 * backtests.store.ts.
 */
export class BacktestsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  createRun(data: NewBacktest): Promise<Backtest> {
    return this.prisma.backtest.create({ data });
  }

  /** The batch, whoever owns it (for batches already authorised or just created). */
  findBatch(id: string): Promise<BacktestBatch | null> {
    return this.prisma.backtestBatch.findUnique({ where: { id } });
  }

  /** Removes a run that could not be queued. */
  async deleteRun(id: string): Promise<void> {
    await this.prisma.backtest.delete({ where: { id } });
  }

  /** Removes a batch (and its children) that could not be queued. */
  async deleteBatch(id: string): Promise<void> {
    await this.prisma.backtestBatch.delete({ where: { id } });
  }

  /** The run, whoever owns it (for runs already authorised: jobs, events). */
  findRun(id: string): Promise<Backtest | null> {
    return this.prisma.backtest.findUnique({ where: { id } });
  }

  /** These runs, whoever owns them, in no particular order. */
  findRuns(ids: readonly string[]): Promise<Backtest[]> {
    return this.prisma.backtest.findMany({ where: { id: { in: [...ids] } } });
  }

  /** The run when the viewer may see it (access.ts), else null — also for ids that are not UUIDs. */
  async findVisibleRun(viewer: Viewer, id: string, query: Pick<BacktestQuery, 'include' | 'select'> = {}): Promise<Backtest | null> {
    return isUuid(id) ? this.prisma.backtest.findFirst({ ...query, where: { id, ...ownerFilter(viewer) } }) : null;
  }

  /** The batch when the viewer may see it, else null. */
  async findVisibleBatch(viewer: Viewer, id: string, query: Pick<BacktestBatchQuery, 'include' | 'select'> = {}): Promise<BacktestBatch | null> {
    return isUuid(id) ? this.prisma.backtestBatch.findFirst({ ...query, where: { id, ...ownerFilter(viewer) } }) : null;
  }

  /** A page of the viewer's runs matching `where`, newest first. */
  listVisibleRuns(viewer: Viewer, where: Prisma.BacktestWhereInput, query: BacktestQuery): Promise<Backtest[]> {
    return this.prisma.backtest.findMany({ ...query, where: { ...where, ...ownerFilter(viewer) }, orderBy: [{ queuedAt: 'desc' }, { id: 'desc' }] });
  }

  /** A page of the viewer's batches matching `where`, newest first. */
  listVisibleBatches(viewer: Viewer, where: Prisma.BacktestBatchWhereInput, query: BacktestBatchQuery): Promise<BacktestBatch[]> {
    return this.prisma.backtestBatch.findMany({ ...query, where: { ...where, ...ownerFilter(viewer) }, orderBy: [{ queuedAt: 'desc' }, { id: 'desc' }] });
  }

  /** QUEUED → CANCELLED; false when it was no longer QUEUED. */
  async cancelQueued(id: string, now: Date): Promise<boolean> {
    const { count } = await this.prisma.backtest.updateMany({ where: { id, status: 'QUEUED' }, data: { status: 'CANCELLED', cancelRequestedAt: now, finishedAt: now } });
    return count === 1;
  }

  /** Records a cancel request; a worker picking the run up later honours it. */
  async requestCancel(id: string, now: Date): Promise<void> {
    await this.prisma.backtest.updateMany({ where: { id, cancelRequestedAt: null }, data: { cancelRequestedAt: now } });
  }

  /** Batches and single runs still to run (QUEUED or RUNNING). */
  async listUnfinished(): Promise<{ batchIds: string[]; backtestIds: string[] }> {
    const unfinished = { in: ['QUEUED' as const, 'RUNNING' as const] };
    const batches = await this.prisma.backtestBatch.findMany({ where: { status: unfinished }, select: { id: true } });
    const singles = await this.prisma.backtest.findMany({ where: { status: unfinished, batchId: null }, select: { id: true } });
    return { batchIds: batches.map((b) => b.id), backtestIds: singles.map((b) => b.id) };
  }
}
