import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { ValidationError } from '../../src/lib/errors.js';
import { hashApiKey } from '../../src/modules/accounts/accounts.service.js';
import { ApiKeysDocument, BacktestProgressDocument, CreateApiKeyDocument, RevokeApiKeyDocument, SystemInfoDocument, ViewerDocument } from '../../examples/generated/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { execute } from '../helpers/graphql.js';
import { collectSse } from '../helpers/sse.js';

let deps: Deps;
let app: App;

beforeAll(async () => {
  deps = await createTestDeps({ AUTH_ANONYMOUS_READ: 'false' });
  app = createApp(deps);
});
afterAll(async () => deps.close());

describe('API keys', () => {
  it('stores only a SHA-256 hash of the key, never the key', async () => {
    const owner = uniqueName('alice').toLowerCase();
    const created = await deps.services.accounts.createApiKey({ owner, role: 'trader', label: 'laptop' });
    expect(created.key).toMatch(/^qql_[a-z0-9]{8}_[A-Za-z0-9_-]{32}$/);
    const { rows } = await deps.db.pool.query('SELECT * FROM api_key WHERE owner = $1', [owner]);
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(hashApiKey(created.key));
    expect(JSON.stringify(rows[0])).not.toContain(created.key.slice(13));
    expect(rows[0]).toMatchObject({ role: 'trader', label: 'laptop', prefix: created.prefix });
  });

  it('rejects an unknown role or a bad owner with every problem listed, writing nothing', async () => {
    const before = await deps.db.pool.query('SELECT count(*)::int AS n FROM api_key');
    const attempt = deps.services.accounts.createApiKey({ owner: 'no spaces allowed', role: 'root' });
    await expect(attempt).rejects.toThrow(ValidationError);
    await attempt.catch((error: ValidationError) => {
      expect(error.issues.map((i) => i.path[0])).toEqual(['role', 'owner']);
    });
    const after = await deps.db.pool.query('SELECT count(*)::int AS n FROM api_key');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('authenticates a request as the key owner, by Bearer header or X-Api-Key', async () => {
    const { owner, key, headers } = await createKeyHeader(deps, 'trader');
    const bearer = await execute(app, ViewerDocument, {}, headers);
    expect(bearer.body.data!.viewer).toEqual({ owner, role: 'TRADER', anonymous: false });
    const xApiKey = await execute(app, ViewerDocument, {}, { 'x-api-key': key });
    expect(xApiKey.body.data!.viewer.owner).toBe(owner);
  });

  it('answers 401 UNAUTHENTICATED for a missing (when anonymous reads are off), malformed, unknown or revoked key', async () => {
    const none = await execute(app, ViewerDocument);
    expect(none.status).toBe(401);
    expect(none.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');

    for (const bad of ['not-a-key', `qql_abcdefgh_${'x'.repeat(32)}`]) {
      const res = await execute(app, ViewerDocument, {}, { authorization: `Bearer ${bad}` });
      expect(res.status).toBe(401);
      expect(res.body.errors![0]!.message).toBe('The API key is invalid or has been revoked');
      expect(res.body.data).toBeUndefined();
    }

    const { key, headers } = await createKeyHeader(deps, 'reader');
    expect((await execute(app, ViewerDocument, {}, headers)).status).toBe(200);
    await deps.services.accounts.revokeApiKey(key.split('_')[1]!, new Date());
    const revoked = await execute(app, ViewerDocument, {}, headers);
    expect(revoked.status).toBe(401);
  });

  it('serves anonymous readers when the switch is on (the embedded default)', async () => {
    const openDeps = { ...deps, config: { ...deps.config, auth: { ...deps.config.auth, anonymousRead: true } } };
    const openApp = createApp(openDeps);
    const res = await execute(openApp, ViewerDocument);
    expect(res.body.data!.viewer).toEqual({ owner: 'anonymous', role: 'READER', anonymous: true });
    const info = await execute(openApp, SystemInfoDocument);
    expect(info.body.errors).toBeUndefined();
    expect(typeof info.body.data!.systemInfo.version).toBe('string');
  });

  it('enforces roles: a reader or trader cannot list keys (FORBIDDEN), an admin can', async () => {
    for (const role of ['reader', 'trader'] as const) {
      const { headers } = await createKeyHeader(deps, role);
      const res = await execute(app, ApiKeysDocument, { first: 5 }, headers);
      expect(res.body.data).toBeNull();
      expect(res.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    }
    const admin = await createKeyHeader(deps, 'admin');
    const res = await execute(app, ApiKeysDocument, { first: 500 }, admin.headers);
    expect(res.body.errors).toBeUndefined();
    const owners = res.body.data!.apiKeys.edges.map((e) => e.node.owner);
    expect(owners).toContain(admin.owner);
  });

  it('lets an admin create a key through the API (the secret shown once), list it by prefix only, and revoke it', async () => {
    const admin = await createKeyHeader(deps, 'admin');
    const owner = uniqueName('made').toLowerCase();
    const created = (await execute(app, CreateApiKeyDocument, { input: { owner, role: 'TRADER' as never, label: 'ci' } }, admin.headers)).body.data!.createApiKey;
    if (created.__typename !== 'CreatedApiKey') throw new Error(JSON.stringify(created));
    expect(created.key).toMatch(/^qql_[a-z0-9]{8}_/);
    expect(created.apiKey).toMatchObject({ owner, role: 'TRADER', prefix: created.key.split('_')[1] });
    const keyHeaders = { authorization: `Bearer ${created.key}` };
    expect((await execute(app, ViewerDocument, {}, keyHeaders)).body.data!.viewer).toMatchObject({ owner, role: 'TRADER' });
    // The list shows the prefix, never the secret or its hash.
    const listed = JSON.stringify((await execute(app, ApiKeysDocument, { first: 500 }, admin.headers)).body);
    expect(listed).toContain(created.apiKey.prefix);
    expect(listed).not.toContain(created.key);
    expect(listed).not.toContain(hashApiKey(created.key));

    const bad = (await execute(app, CreateApiKeyDocument, { input: { owner: 'has spaces', role: 'READER' as never, label: 'x'.repeat(201) } }, admin.headers)).body.data!.createApiKey;
    expect(bad.__typename).toBe('ValidationError');
    if (bad.__typename === 'ValidationError') expect(bad.issues.map((i) => i.path[0])).toEqual(['owner', 'label']);

    const revoked = (await execute(app, RevokeApiKeyDocument, { id: created.apiKey.id }, admin.headers)).body.data!.revokeApiKey;
    expect(revoked).toMatchObject({ __typename: 'ApiKey', id: created.apiKey.id, revokedAt: expect.any(String) });
    expect((await execute(app, ViewerDocument, {}, keyHeaders)).status).toBe(401);
    const missing = (await execute(app, RevokeApiKeyDocument, { id: '6f0c1a52-5d1e-4a8e-9a43-0c6c1d6c0b11' }, admin.headers)).body.data!.revokeApiKey;
    expect(missing).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });

  it('pages the key list with Relay cursors', async () => {
    const admin = await createKeyHeader(deps, 'admin');
    const first = await execute(app, ApiKeysDocument, { first: 2 }, admin.headers);
    const page1 = first.body.data!.apiKeys;
    expect(page1.edges).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await execute(app, ApiKeysDocument, { first: 2, after: page1.pageInfo.endCursor }, admin.headers);
    const ids1 = page1.edges.map((e) => e.node.id);
    const ids2 = second.body.data!.apiKeys.edges.map((e) => e.node.id);
    expect(ids2).toHaveLength(2);
    expect(ids2.some((id) => ids1.includes(id))).toBe(false);
  });
});

describe('authenticated keys kept between requests', () => {
  const apiKeyStatements = () => {
    const seen: string[] = [];
    const stop = deps.db.onQuery(({ text }) => {
      // The once-a-minute last_used_at touch is fire-and-forget: an earlier request's may land
      // in any window. Reads and revocations are what these tests count.
      if (/\bapi_key\b/.test(text) && !/SET "last_used_at"/.test(text)) seen.push(text);
    });
    return { seen, stop };
  };
  /** Resolves when the feed delivers a change for `hash` (after the cache has evicted it). */
  const nextChange = (hash: string) =>
    new Promise<void>((resolve) => {
      const stop = deps.apiKeyChanges.listen({ changed: (h) => h === hash && (stop(), resolve()), reset: () => undefined });
    });

  it('reads a key once, then answers from memory until another process revokes it', async () => {
    const { key, headers, owner } = await createKeyHeader(deps, 'reader');
    await deps.apiKeyChanges.whenLive();
    expect((await execute(app, ViewerDocument, {}, headers)).body.data!.viewer.owner).toBe(owner);

    const counted = apiKeyStatements();
    for (let i = 0; i < 3; i++) expect((await execute(app, ViewerDocument, {}, headers)).status).toBe(200);
    expect(counted.seen).toEqual([]);

    // Revoked by hand on another connection, as the apikey command or another replica would.
    const heard = nextChange(hashApiKey(key));
    await deps.db.pool.query('UPDATE api_key SET revoked_at = now() WHERE key_hash = $1', [hashApiKey(key)]);
    await heard;
    const revoked = await execute(app, ViewerDocument, {}, headers);
    counted.stop();
    expect(revoked.status).toBe(401);
    expect(counted.seen.length).toBeGreaterThan(1); // the UPDATE, then the lookup the cache no longer answered
  });

  it('does not notify (nor evict) on the once-a-minute last_used_at touch', async () => {
    const { key } = await createKeyHeader(deps, 'reader');
    const heard: string[] = [];
    const stop = deps.apiKeyChanges.listen({ changed: (h) => heard.push(h), reset: () => undefined });
    const touched = nextChange(hashApiKey(key));
    await deps.db.pool.query('UPDATE api_key SET last_used_at = now(), label = $2 WHERE key_hash = $1', [hashApiKey(key), 'renamed']);
    await deps.db.pool.query('DELETE FROM api_key WHERE key_hash = $1', [hashApiKey(key)]);
    await touched; // notifications arrive in commit order: the touch's would have come first
    stop();
    expect(heard.filter((h) => h === hashApiKey(key))).toHaveLength(1);
  });

  it('bypasses the cache while the feed is down and uses it again once it is back', async () => {
    const { headers } = await createKeyHeader(deps, 'reader');
    await deps.apiKeyChanges.whenLive();
    await execute(app, ViewerDocument, {}, headers);

    const down = new Promise<void>((resolve) => {
      const stop = deps.apiKeyChanges.listen({ changed: () => undefined, reset: () => !deps.apiKeyChanges.live && (stop(), resolve()) });
    });
    const { rowCount } = await deps.db.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'quantql-listen:quantql_api_key_changed' AND datname = current_database()",
    );
    expect(rowCount).toBeGreaterThan(0);
    await down;

    const counted = apiKeyStatements();
    expect((await execute(app, ViewerDocument, {}, headers)).status).toBe(200);
    expect(counted.seen).toHaveLength(1); // read again: a change may have been missed

    await deps.apiKeyChanges.whenLive();
    await execute(app, ViewerDocument, {}, headers); // read once more, cached from here
    const before = counted.seen.length;
    expect((await execute(app, ViewerDocument, {}, headers)).status).toBe(200);
    counted.stop();
    expect(counted.seen).toHaveLength(before);
  });
});

describe('revocation ends open subscriptions', () => {
  it('a backtestProgress subscription ends with UNAUTHENTICATED once its key is revoked, and a revoked key cannot subscribe again', async () => {
    const reader = await createKeyHeader(deps, 'reader');
    await deps.apiKeyChanges.whenLive();
    const instrument = await deps.prisma.instrument.create({ data: { symbol: uniqueName('SUB'), name: 'x', baseInterval: '1h' } });
    const strategy = await deps.prisma.strategy.create({ data: { owner: reader.owner, name: 's', kind: 'BUY_AND_HOLD', parameters: {} } });
    const backtest = await deps.prisma.backtest.create({
      data: {
        owner: reader.owner, strategyId: strategy.id, strategyKind: 'BUY_AND_HOLD', parameters: {}, instrumentId: instrument.id, symbol: instrument.symbol,
        interval: '1h', from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-01-02T00:00:00Z'), config: {}, cacheKey: uniqueName('k'),
      },
    });
    let revoked: Promise<number> | undefined;
    // Revoked once the subscription has delivered the current state (QUEUED: it never ends by itself).
    const { events, errors } = await collectSse(app, BacktestProgressDocument, { id: backtest.id }, reader.headers, (received) => {
      if (received.length === 1) revoked ??= deps.services.accounts.revokeApiKey(reader.key.split('_')[1]!, new Date());
      return false;
    });
    expect(await revoked).toBe(1);
    expect(events.map((e) => e.backtestProgress.status)).toEqual(['QUEUED']);
    expect(errors).toEqual([expect.objectContaining({ message: 'The API key was revoked or changed: this subscription has ended', extensions: { code: 'UNAUTHENTICATED' } })]);
    const again = await app.fetch('http://quantql.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...reader.headers },
      body: JSON.stringify({ query: 'subscription($id: ID!) { backtestProgress(id: $id) { status } }', variables: { id: backtest.id } }),
    });
    expect(again.status).toBe(401);
  });
});
