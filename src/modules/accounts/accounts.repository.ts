import type { PrismaClient } from '../../db/prisma.js';
import type { ApiKey, ApiKeyRole } from '../../generated/prisma/client.js';

/** Prisma access to `api_key`, owned by the accounts module. */
export function createAccountsRepository(prisma: PrismaClient) {
  return {
    insertApiKey(data: { owner: string; role: ApiKeyRole; label: string | null; prefix: string; keyHash: string }): Promise<ApiKey> {
      return prisma.apiKey.create({ data });
    },
    findApiKeyByHash(keyHash: string): Promise<ApiKey | null> {
      return prisma.apiKey.findUnique({ where: { keyHash } });
    },
    async touchApiKey(id: string, at: Date): Promise<void> {
      await prisma.apiKey.update({ where: { id }, data: { lastUsedAt: at } });
    },
    listApiKeys(owner?: string): Promise<ApiKey[]> {
      return prisma.apiKey.findMany({ where: owner ? { owner } : {}, orderBy: { createdAt: 'asc' } });
    },
    async revokeApiKey(prefix: string, at: Date): Promise<number> {
      const { count } = await prisma.apiKey.updateMany({ where: { prefix, revokedAt: null }, data: { revokedAt: at } });
      return count;
    },
  };
}

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;
