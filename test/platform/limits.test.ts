import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { createTestDeps } from '../helpers/deps.js';
import { post } from '../helpers/graphql.js';

/** Query limits (graphql-armor): each limit rejects an over-limit query and admits one just under it. */
let deps: Deps;
let app: App;

beforeAll(async () => {
  deps = await createTestDeps({
    AUTH_ANONYMOUS_READ: 'true',
    GRAPHQL_MAX_DEPTH: '3',
    GRAPHQL_MAX_ALIASES: '3',
    GRAPHQL_MAX_TOKENS: '60',
    GRAPHQL_MAX_COST: '40',
  });
  app = createApp(deps);
});
afterAll(async () => deps.close());

function errorsOf(res: Awaited<ReturnType<typeof post>>): string {
  return (res.body.errors ?? []).map((e) => e.message).join(' | ');
}

describe('query limits', () => {
  it('depth', async () => {
    const ok = await post(app, { query: '{ systemInfo { database { serverVersion } } }' });
    expect(ok.body.errors).toBeUndefined();
    // Depth 4 through a fragment, so flattening fragments is exercised too.
    const deep = await post(app, {
      query: '{ apiKeys { edges { node { ...K } } } } fragment K on ApiKey { owner }',
    });
    expect(errorsOf(deep)).toMatch(/depth limit/i);
    expect(deep.body.data).toBeUndefined();
  });

  it('aliases', async () => {
    const ok = await post(app, { query: '{ a: viewer { owner } b: viewer { owner } c: viewer { owner } }' });
    expect(ok.body.errors).toBeUndefined();
    const many = await post(app, { query: '{ a: viewer { owner } b: viewer { owner } c: viewer { owner } d: viewer { owner } }' });
    expect(errorsOf(many)).toMatch(/aliases/i);
  });

  it('tokens', async () => {
    // Cost is not the limit here: only the token count is lowered.
    const tokenApp = createApp({ ...deps, config: { ...deps.config, graphql: { ...deps.config.graphql, maxCost: 100_000 } } });
    const fields = Array.from({ length: 80 }, () => 'owner').join(' ');
    const ok = await post(tokenApp, { query: `{ viewer { owner role } }` });
    expect(ok.body.errors).toBeUndefined();
    const big = await post(tokenApp, { query: `{ viewer { ${fields} } }` });
    expect(errorsOf(big)).toMatch(/token limit/i);
  });

  it('cost', async () => {
    const fields = 'version embedded queueMode pubsubMode database { serverVersion timescaledb timescaledbVersion }';
    const costly = await post(app, {
      query: `{ a: systemInfo { ${fields} } b: systemInfo { ${fields} } c: systemInfo { ${fields} } }`,
    });
    expect(errorsOf(costly)).toMatch(/Query Cost limit of 40 exceeded/);
    const cheap = await post(app, { query: `{ a: systemInfo { version } }` });
    expect(cheap.body.errors).toBeUndefined();
  });

  it('rejects a syntactically broken query with a parse error, not a crash', async () => {
    const res = await post(app, { query: '{ systemInfo { ' });
    expect(errorsOf(res)).toMatch(/Syntax Error: Expected Name, found <EOF>/);
    expect(res.body.data).toBeUndefined();
  });
});
