import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { post } from '../helpers/graphql.js';

/**
 * Bad input found by trying the API as a careless user and as an attacker (issue 13): each
 * is rejected with a typed error before anything runs, and changes nothing.
 */
let deps: Deps;
let app: App;
let trader: Record<string, string>;
let owner: string;

beforeAll(async () => {
  deps = await createTestDeps();
  app = createApp(deps);
  ({ headers: trader, owner } = await createKeyHeader(deps, 'trader'));
});
afterAll(async () => deps.close());

const CREATE = `mutation($input: CreateStrategyInput!) { createStrategy(input: $input) { __typename } }`;

describe('the NUL character (finding 7)', () => {
  const cases: Array<[string, { query: string; variables?: unknown }]> = [
    ['in a variable', { query: CREATE, variables: { input: { name: 'a\u0000b', kind: 'BUY_AND_HOLD' } } }],
    ['in a literal', { query: 'mutation { createStrategy(input: { name: "a\\u0000b", kind: BUY_AND_HOLD }) { __typename } }' }],
    ['in a JSON argument’s key', { query: CREATE, variables: { input: { name: 'ok', kind: 'SMA_CROSSOVER', parameters: { 'fa\u0000st': 5 } } } }],
    ['deep in a list', { query: 'query($s: [String!]!) { marketSummary(symbols: $s) { symbol } }', variables: { s: ['AAPL', 'x\u0000'] } }],
  ];
  it.each(cases)('is refused %s: HTTP 400, BAD_USER_INPUT, nothing written', async (_name, body) => {
    // This key's owner only: other test files write strategies to the same database meanwhile.
    const before = await deps.prisma.strategy.count({ where: { owner } });
    const res = await post(app, body, trader);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toEqual([
      expect.objectContaining({ message: 'Text may not contain the NUL character (U+0000).', extensions: { code: 'BAD_USER_INPUT' } }),
    ]);
    expect(await deps.prisma.strategy.count({ where: { owner } })).toBe(before);
  });

  it('a name with other control-free Unicode is stored as sent', async () => {
    const res = await post(app, { query: CREATE.replace('__typename', '... on Strategy { name }'), variables: { input: { name: 'Ümlaut ✓ 📈', kind: 'BUY_AND_HOLD' } } }, trader);
    expect(res.body.data).toEqual({ createStrategy: { name: 'Ümlaut ✓ 📈' } });
  });
});

describe('request bodies (finding 12)', () => {
  async function raw(body: string, headers: Record<string, string> = {}) {
    const response = await app.fetch('http://quantql.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...trader, ...headers }, body });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text) as { errors?: Array<{ message: string; extensions?: { code?: string } }> } };
  }

  it('refuses a body over GRAPHQL_MAX_BODY_BYTES with 413 before reading it', async () => {
    const big = JSON.stringify({ query: '{ viewer { owner } }', variables: { pad: 'x'.repeat(deps.config.graphql.maxBodyBytes) } });
    const res = await raw(big);
    expect(res.status).toBe(413);
    expect(res.json.errors![0]).toMatchObject({ message: 'Request body too large', extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' } });
  });

  it('answers a malformed body with a short error that does not echo it', async () => {
    const junk = `{"query": "{ viewer { owner } }", ${'"x": y'.repeat(200_000)}`;
    const res = await raw(junk);
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(1_000);
    expect(res.json.errors![0]!.extensions?.code).toBe('BAD_REQUEST');
  });

  it('refuses a mutation sent as a form or as GET (no CSRF-able writes)', async () => {
    const form = await app.fetch('http://quantql.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...trader },
      body: `query=${encodeURIComponent('mutation { createStrategy(input: { name: "csrf", kind: BUY_AND_HOLD }) { __typename } }')}`,
    });
    expect(form.status).toBe(415);
    expect(((await form.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const get = await app.fetch(`http://quantql.test/graphql?query=${encodeURIComponent('mutation { createStrategy(input: { name: "csrf", kind: BUY_AND_HOLD }) { __typename } }')}`, {
      headers: { accept: 'application/json', ...trader },
    });
    expect(get.status).toBe(405);
    expect(await deps.prisma.strategy.count({ where: { name: 'csrf' } })).toBe(0);
  });
});

describe('input refused while executing carries a code (finding 13)', () => {
  const cases: Array<[string, { query: string; variables?: unknown }]> = [
    ['a garbage cursor', { query: '{ instruments(after: "garbage") { edges { cursor } } }' }],
    ['a cursor of another shape', { query: '{ strategies(after: "Z2FyYmFnZQ==") { edges { cursor } } }' }],
    ['a variable of the wrong type', { query: 'query($n: Int) { instruments(first: $n) { edges { cursor } } }', variables: { n: 'ten' } }],
  ];
  it.each(cases)('%s: BAD_USER_INPUT, no data', async (_name, body) => {
    const res = await post(app, body, trader);
    expect(res.status).toBeLessThan(500);
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('search treats % and _ as text, not patterns', async () => {
    const count = async (search: string) =>
      ((await post(app, { query: 'query($s: String) { instruments(first: 500, search: $s) { edges { cursor } } }', variables: { s: search } }, trader)).body.data!
        .instruments as { edges: unknown[] }).edges.length;
    const symbol = uniqueName('PCT');
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(7, 3, Date.UTC(2024, 0, 1), 3_600_000) });
    expect(await count(symbol.slice(0, 6))).toBe(1);
    expect(await count('%')).toBe(0);
    expect(await count('_')).toBe(0);
    expect(await count(`${symbol.slice(0, 3)}%`)).toBe(0);
  });
});
