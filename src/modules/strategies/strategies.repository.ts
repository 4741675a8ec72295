import type { PrismaClient } from '../../db/prisma.js';
import type { Prisma, Strategy } from '../../generated/prisma/client.js';

/** Prisma access to `strategy`, owned by the strategies module. */
export function createStrategiesRepository(prisma: PrismaClient) {
  return {
    insert(data: { owner: string; name: string; kind: string; parameters: Prisma.InputJsonValue; description: string | null }): Promise<Strategy> {
      return prisma.strategy.create({ data });
    },
    /** The strategy when `owner` may see it (null owner: any, for admins). */
    findVisible(id: string, owner: string | null): Promise<Strategy | null> {
      return prisma.strategy.findFirst({ where: { id, ...(owner === null ? {} : { owner }) } });
    },
    update(id: string, data: Prisma.StrategyUpdateInput): Promise<Strategy> {
      return prisma.strategy.update({ where: { id }, data });
    },
    async hasBacktests(id: string): Promise<boolean> {
      return (await prisma.backtest.count({ where: { strategyId: id }, take: 1 })) > 0
        || (await prisma.backtestBatch.count({ where: { strategyId: id }, take: 1 })) > 0;
    },
    async delete(id: string): Promise<void> {
      await prisma.strategy.delete({ where: { id } });
    },
  };
}

export type StrategiesRepository = ReturnType<typeof createStrategiesRepository>;
