import type { PrismaClient } from '../../db/prisma.js';
import type { Prisma, Strategy } from '../../generated/prisma/client.js';

/** Selection and page a GraphQL connection passes through (the Pothos prisma plugin's `query`). */
export type StrategyQuery = Omit<Prisma.StrategyFindManyArgs, 'where' | 'orderBy'>;

/** Prisma access to `strategy`, owned by the strategies module. */
export class StrategiesRepository {
  constructor(private readonly prisma: PrismaClient) {}

  insert(data: { owner: string; name: string; kind: string; parameters: Prisma.InputJsonValue; description: string | null }): Promise<Strategy> {
    return this.prisma.strategy.create({ data });
  }

  /** The strategy when it matches `where` (an owner filter), else null. */
  findById(id: string, where: { owner?: string } = {}): Promise<Strategy | null> {
    return this.prisma.strategy.findFirst({ where: { id, ...where } });
  }

  list(where: Prisma.StrategyWhereInput, query: StrategyQuery): Promise<Strategy[]> {
    return this.prisma.strategy.findMany({ ...query, where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  }

  update(id: string, data: Prisma.StrategyUpdateInput): Promise<Strategy> {
    return this.prisma.strategy.update({ where: { id }, data });
  }

  /**
   * Deletes the strategy unless rows elsewhere still reference it: backtests and batches keep
   * their strategy (foreign keys ON DELETE RESTRICT). Returns false then, changing nothing;
   * this module never reads those tables itself.
   */
  async deleteUnlessReferenced(id: string): Promise<boolean> {
    try {
      await this.prisma.strategy.delete({ where: { id } });
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'P2003') return false; // foreign key violation
      throw error;
    }
  }
}
