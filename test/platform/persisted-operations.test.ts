import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { print } from 'graphql';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { loadPersistedOperations } from '../../src/http/persisted-operations.js';
import { ViewerDocument } from '../../examples/generated/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { createTestDeps } from '../helpers/deps.js';

/** GRAPHQL_PERSISTED_ONLY (issue 13): only the operations of examples/ run, by hash. */
let deps: Deps;
let app: App;
let reader: { owner: string; headers: Record<string, string> };

beforeAll(async () => {
  deps = await createTestDeps({ GRAPHQL_PERSISTED_ONLY: 'true' });
  app = createApp(deps);
  reader = await createKeyHeader(deps, 'reader');
});
afterAll(async () => deps.close());

async function send(body: unknown) {
  const response = await app.fetch('http://quantql.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...reader.headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } };
}

describe('persisted operations only', () => {
  const hash = (ViewerDocument as unknown as { __meta__: { hash: string } }).__meta__.hash;

  it('runs an example operation sent by its hash (with or without the sha256: prefix)', async () => {
    expect(loadPersistedOperations()[hash]).toMatch(/^query Viewer\b/);
    for (const sha256Hash of [hash, hash.replace(/^sha256:/, '')]) {
      const res = await send({ extensions: { persistedQuery: { version: 1, sha256Hash } } });
      expect(res.body).toEqual({ data: { viewer: { owner: reader.owner, role: 'READER', anonymous: false } } });
    }
  });

  it('refuses a document, even one identical to an example, and an unknown hash, with codes', async () => {
    const document = await send({ query: print(ViewerDocument) });
    expect(document.status).toBe(400);
    expect(document.body.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_ONLY']);
    const unknown = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } });
    expect(unknown.body.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(unknown.body.data).toBeUndefined();
  });
});
