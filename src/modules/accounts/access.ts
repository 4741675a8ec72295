/**
 * The access policy, in one place: who a caller is (Viewer), what their role allows, and
 * which owners' rows they see. Services of every module apply it through these functions.
 */
export type Role = 'reader' | 'trader' | 'admin';

export const ROLES: readonly Role[] = ['reader', 'trader', 'admin'];

/** Who is calling: an API key's owner and role, or the anonymous reader. */
export interface Viewer {
  owner: string;
  role: Role;
  anonymous: boolean;
  apiKeyId: string | null;
  /** The stored hash of the key (what key changes are announced by); null when anonymous. */
  keyHash: string | null;
}

export const ANONYMOUS_VIEWER: Viewer = Object.freeze({
  owner: 'anonymous',
  role: 'reader',
  anonymous: true,
  apiKeyId: null,
  keyHash: null,
});

const ROLE_RANK: Record<Role, number> = { reader: 1, trader: 2, admin: 3 };

/** Roles are cumulative: trader can do what reader can, admin what trader can. */
export function hasRole(viewer: Viewer, role: Role): boolean {
  return ROLE_RANK[viewer.role] >= ROLE_RANK[role];
}

/**
 * The rows of strategies, backtests and batches a viewer sees, as a filter on their `owner`
 * column: admins see every owner's, everyone else only their own.
 */
export function ownerFilter(viewer: Viewer): { owner?: string } {
  return viewer.role === 'admin' ? {} : { owner: viewer.owner };
}
