import type { Services } from './deps.js';

export type Role = 'reader' | 'trader' | 'admin';

/** Who is calling: an API key's owner and role, or the anonymous reader. */
export interface Viewer {
  owner: string;
  role: Role;
  anonymous: boolean;
  apiKeyId: string | null;
}

/** Per-request context: the caller, request id, and the services resolvers delegate to. */
export interface Context extends Services {
  viewer: Viewer;
  requestId: string;
}

const ROLE_RANK: Record<Role, number> = { reader: 1, trader: 2, admin: 3 };

/** Roles are cumulative: trader can do what reader can, admin what trader can. */
export function hasRole(viewer: Viewer, role: Role): boolean {
  return ROLE_RANK[viewer.role] >= ROLE_RANK[role];
}
