import type { Runtime } from '../../src/deps.js';
import type { Role } from '../../src/modules/accounts/access.js';
import { uniqueName } from './deps.js';

/** A real API key for a fresh owner; returns the header that authenticates with it. */
export async function createKeyHeader(deps: Runtime, role: Role, owner = uniqueName('owner').toLowerCase()) {
  const created = await deps.services.accounts.createApiKey({ owner, role });
  return { owner, key: created.key, headers: { authorization: `Bearer ${created.key}` } };
}
