import type { Role } from '../../src/context.js';
import type { Deps } from '../../src/deps.js';
import { createApiKey } from '../../src/modules/accounts/accounts.service.js';
import { uniqueName } from './deps.js';

/** A real API key for a fresh owner; returns the header that authenticates with it. */
export async function createKeyHeader(deps: Deps, role: Role, owner = uniqueName('owner').toLowerCase()) {
  const created = await createApiKey(deps.accounts, { owner, role });
  return { owner, key: created.key, headers: { authorization: `Bearer ${created.key}` } };
}
