import { createHash, randomBytes } from 'node:crypto';
import type { ApiKey } from '../../generated/prisma/client.js';
import { NotFoundError, ValidationError, type ValidationIssue } from '../../lib/errors.js';
import { isUuid } from '../../lib/ids.js';
import { ANONYMOUS_VIEWER, ROLES, type Role, type Viewer } from './access.js';
import type { AccountsRepository, ApiKeyQuery, ApiKeySelection } from './accounts.repository.js';
import { ApiKeyRevokedError, InvalidApiKeyError } from './accounts.errors.js';
import type { KeyCache } from './key-cache.js';

/**
 * API keys: `qql_<prefix>_<secret>`. The secret has 192 bits of entropy, so a plain SHA-256
 * is a sufficient hash (slow password hashes protect low-entropy secrets); only the hash is
 * stored, the key itself is shown once at creation.
 */
const KEY_PATTERN = /^qql_([a-z0-9]{8})_([A-Za-z0-9_-]{32})$/;
const OWNER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Don't write last_used_at on every request; once a minute is plenty for auditing. */
const TOUCH_INTERVAL_MS = 60_000;

/** The stored form of a key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface CreatedApiKey {
  /** The full key; not stored anywhere, shown to the user once. */
  key: string;
  id: string;
  prefix: string;
  owner: string;
  role: Role;
}

/** Accounts: API keys and the viewer they authenticate. */
export class AccountsService {
  constructor(
    private readonly repository: AccountsRepository,
    /** Authenticated keys kept between requests; without it every request reads its key. */
    private readonly keys: KeyCache | null = null,
  ) {}

  /**
   * Creates a key for `owner` with `role`.
   * @throws ValidationError for an unknown role or an owner that is not a plain identifier.
   */
  async createApiKey(input: { owner: string; role: string; label?: string | null }): Promise<CreatedApiKey> {
    const issues: ValidationIssue[] = [];
    if (!ROLES.includes(input.role as Role)) {
      issues.push({ path: ['role'], message: `must be one of ${ROLES.join(', ')}` });
    }
    if (!OWNER_PATTERN.test(input.owner) || input.owner === ANONYMOUS_VIEWER.owner) {
      issues.push({
        path: ['owner'],
        message: 'must be 1-64 characters of letters, digits, ".", "_", "@" or "-" (and not "anonymous")',
      });
    }
    if (input.label !== undefined && input.label !== null && input.label.length > 200) {
      issues.push({ path: ['label'], message: 'must be at most 200 characters' });
    }
    if (issues.length) throw new ValidationError(issues);
    const prefix = randomBytes(6).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 8);
    const key = `qql_${prefix}_${randomBytes(24).toString('base64url')}`;
    const row = await this.repository.insertApiKey({
      owner: input.owner,
      role: input.role as Role,
      label: input.label ?? null,
      prefix,
      keyHash: hashApiKey(key),
    });
    return { key, id: row.id, prefix, owner: row.owner, role: row.role };
  }

  /**
   * Resolves a presented key to its viewer.
   * @throws InvalidApiKeyError when the key is malformed, unknown or revoked.
   */
  async authenticate(key: string, now: Date): Promise<Viewer> {
    if (!KEY_PATTERN.test(key)) throw new InvalidApiKeyError();
    const hash = hashApiKey(key);
    let row = this.keys?.get(hash);
    if (!row) {
      const generation = this.keys?.begin() ?? 0;
      row = (await this.repository.findApiKeyByHash(hash)) ?? undefined;
      if (!row || row.revokedAt) throw new InvalidApiKeyError();
      this.keys?.set(hash, row, generation);
    }
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      // Best effort: auditing must never fail a request. The cached row remembers the touch
      // (its trigger ignores last_used_at, so the touch does not evict it).
      row.lastUsedAt = now;
      this.repository.touchApiKey(row.id, now).catch(() => undefined);
    }
    return { owner: row.owner, role: row.role, anonymous: false, apiKeyId: row.id, keyHash: hash };
  }

  /** Keys, oldest first (of one owner when given). */
  listApiKeys(owner?: string): Promise<ApiKey[]> {
    return this.repository.listApiKeys(owner);
  }

  /** One key by id (it must exist: ids come from our own rows). */
  getApiKey(id: string, query?: ApiKeySelection): Promise<ApiKey> {
    return this.repository.getApiKey(id, query);
  }

  /** A page of every key (the admin `apiKeys` connection). */
  listApiKeyPage(query: ApiKeyQuery): Promise<ApiKey[]> {
    return this.repository.listApiKeyPage(query);
  }

  /**
   * Revokes the key with that id (an already revoked key stays revoked at its first time).
   * @throws NotFoundError when there is no such key.
   */
  async revokeApiKeyById(id: string, now: Date): Promise<ApiKey> {
    const row = isUuid(id) ? await this.repository.revokeApiKeyById(id, now) : null;
    if (!row) throw new NotFoundError('ApiKey', id);
    this.keys?.clear();
    return row;
  }

  /**
   * The stream `start` opens, given a signal that aborts (with ApiKeyRevokedError) as soon as
   * the viewer's key is revoked, deleted or changed: a subscription must not outlive its key.
   * Heard from api_key's trigger through the change feed; when notifications may have been
   * missed, the key is read again. Anonymous viewers, and processes without a feed, get
   * `start()` without a signal.
   */
  whileKeyValid<T>(viewer: Viewer, start: (signal?: AbortSignal) => AsyncIterable<T>): AsyncIterable<T> {
    const { keys, repository } = this;
    const hash = viewer.keyHash;
    if (!keys || !hash) return start();
    return (async function* () {
      const controller = new AbortController();
      const revoked = () => controller.abort(new ApiKeyRevokedError());
      const stop = keys.onChange(hash, revoked, () => {
        repository
          .findApiKeyByHash(hash)
          .then((row) => (!row || row.revokedAt) && revoked())
          .catch(() => undefined);
      });
      try {
        yield* start(controller.signal);
      } finally {
        stop();
      }
    })();
  }

  /** Revokes the active key with that prefix; returns how many were revoked (0 or 1). */
  async revokeApiKey(prefix: string, now: Date): Promise<number> {
    const revoked = await this.repository.revokeApiKey(prefix, now);
    // Other processes hear it from api_key's trigger; this one must not wait for that.
    this.keys?.clear();
    return revoked;
  }
}

/** Reads the key from `Authorization: Bearer <key>` or `X-Api-Key: <key>`. */
export function readApiKey(headers: Headers): string | null {
  const auth = headers.get('authorization');
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return match ? match[1]!.trim() : auth.trim();
  }
  return headers.get('x-api-key')?.trim() || null;
}
