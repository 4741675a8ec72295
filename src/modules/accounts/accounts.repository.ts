import type { PrismaClient } from '../../db/prisma.js';
import type { ApiKey, ApiKeyRole, Prisma } from '../../generated/prisma/client.js';

/** Selection and page a GraphQL connection passes through (the Pothos prisma plugin's `query`). */
export type ApiKeyQuery = Omit<Prisma.ApiKeyFindManyArgs, 'where' | 'orderBy'>;

/** The selection of one key (the Pothos prisma plugin's `query` for a single row). */
export type ApiKeySelection = { select?: Prisma.ApiKeySelect };

/** Prisma access to `api_key`, owned by the accounts module. */
export class AccountsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  insertApiKey(data: { owner: string; role: ApiKeyRole; label: string | null; prefix: string; keyHash: string }): Promise<ApiKey> {
    return this.prisma.apiKey.create({ data });
  }

  findApiKeyByHash(keyHash: string): Promise<ApiKey | null> {
    return this.prisma.apiKey.findUnique({ where: { keyHash } });
  }

  async touchApiKey(id: string, at: Date): Promise<void> {
    await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: at } });
  }

  getApiKey(id: string, query: ApiKeySelection = {}): Promise<ApiKey> {
    return this.prisma.apiKey.findUniqueOrThrow({ ...query, where: { id } });
  }

  listApiKeys(owner?: string): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({ where: owner ? { owner } : {}, orderBy: { createdAt: 'asc' } });
  }

  listApiKeyPage(query: ApiKeyQuery): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({ ...query, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  /** Revokes the key with that id if it is active; returns the row as it is now (null: no such key). */
  async revokeApiKeyById(id: string, at: Date): Promise<ApiKey | null> {
    await this.prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
    return this.prisma.apiKey.findUnique({ where: { id } });
  }

  async revokeApiKey(prefix: string, at: Date): Promise<number> {
    const { count } = await this.prisma.apiKey.updateMany({ where: { prefix, revokedAt: null }, data: { revokedAt: at } });
    return count;
  }
}
