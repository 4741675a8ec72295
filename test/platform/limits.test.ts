import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';

/**
 * Request limits (issue 13, findings 1, 2, 11, 13): each limit refuses an over-limit request
 * before anything runs — with `extensions.code`, a readable message and HTTP 400 where the
 * GraphQL-over-HTTP spec asks for it — and admits one just under it. Variables count as
 * literals do. While a query runs, it holds at most GRAPHQL_MAX_CONNECTIONS_PER_REQUEST
 * connections, runs at most GRAPHQL_MAX_STATEMENTS statements and none of them for longer
 * than GRAPHQL_STATEMENT_TIMEOUT_MS.
 */
let deps: Deps;
let app: App;
const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);
const prefix = uniqueName('LIM');
const symbols = [0, 1, 2].map((i) => `${prefix}${i}`);

beforeAll(async () => {
  deps = await createTestDeps({ AUTH_ANONYMOUS_READ: 'true', DATABASE_POOL_MAX: '8' });
  app = createApp(deps);
  for (const [i, symbol] of symbols.entries()) {
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(40 + i, 500, START, HOUR) });
  }
});
afterAll(async () => deps.close());

/** An app on the same runtime with some GraphQL limits changed. */
function appWith(graphql: Partial<Deps['config']['graphql']>): App {
  return createApp({ ...deps, config: { ...deps.config, graphql: { ...deps.config.graphql, ...graphql } } });
}

async function request(target: App, body: { query: string; variables?: unknown }, accept = 'application/json') {
  const response = await target.fetch('http://quantql.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  return { status: response.status, ...json };
}

const codes = (res: { errors?: Array<{ extensions?: { code?: string } }> }) => (res.errors ?? []).map((e) => e.extensions?.code);
const messages = (res: { errors?: Array<{ message: string }> }) => (res.errors ?? []).map((e) => e.message).join(' | ');

describe('shape limits (graphql-armor)', () => {
  let small: App;
  beforeAll(() => {
    small = appWith({ maxDepth: 3, maxAliases: 3, maxTokens: 60 });
  });
  const cases: Array<[string, string, string, RegExp]> = [
    ['depth', '{ systemInfo { database { serverVersion } } }', '{ apiKeys { edges { node { ...K } } } } fragment K on ApiKey { owner }', /^Query depth limit of 3 exceeded, found \d+\.$/],
    ['aliases', '{ a: viewer { owner } b: viewer { owner } c: viewer { owner } }', '{ a: viewer { owner } b: viewer { owner } c: viewer { owner } d: viewer { owner } }', /^Aliases limit of 3 exceeded, found 4\.$/],
    ['tokens', '{ viewer { owner role } }', `{ viewer { ${Array.from({ length: 80 }, () => 'owner').join(' ')} } }`, /^Token limit of 60 exceeded\.$/],
  ];
  it.each(cases)('%s: under the limit runs; over it is QUERY_LIMIT_EXCEEDED without a "Syntax Error" prefix, 400 for graphql-response+json', async (_name, ok, over, message) => {
    const admitted = await request(small, { query: ok });
    expect(admitted.errors).toBeUndefined();
    const refused = await request(small, { query: over }, 'application/graphql-response+json');
    expect(refused.status).toBe(400);
    expect(refused.data).toBeUndefined();
    expect(codes(refused)).toEqual(['QUERY_LIMIT_EXCEEDED']);
    expect(messages(refused)).toMatch(message);
    // Plain application/json: 200 with the same error (the spec's rule for that media type).
    const plain = await request(small, { query: over });
    expect(plain.status).toBe(200);
    expect(codes(plain)).toEqual(['QUERY_LIMIT_EXCEEDED']);
  });

  it('a syntactically broken query is a parse error, not a crash', async () => {
    const res = await request(app, { query: '{ systemInfo { ' });
    expect(messages(res)).toMatch(/Syntax Error: Expected Name, found <EOF>/);
    expect(codes(res)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });
});

describe('cost, with variables as with literals (finding 2)', () => {
  const nested = 'instruments(first: $n) { edges { node { symbol coverage { gaps(first: $n) { edges { node { from to } } } } } } }';
  it('refuses instruments × gaps of 500 each whether the sizes are literals or variables', async () => {
    const literal = await request(app, { query: `{ ${nested.replaceAll('$n', '500')} }` }, 'application/graphql-response+json');
    const variables = await request(app, { query: `query($n: Int) { ${nested} }`, variables: { n: 500 } }, 'application/graphql-response+json');
    for (const res of [literal, variables]) {
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
      expect(codes(res)).toEqual(['QUERY_LIMIT_EXCEEDED']);
      expect(messages(res)).toMatch(/^Query cost limit of 20000 exceeded \(GRAPHQL_MAX_COST\), found \d+/);
    }
    const small = await request(app, { query: `query($n: Int) { ${nested} }`, variables: { n: 10 } });
    expect(small.errors).toBeUndefined();
  });

  it('counts trades(first: $n) under every backtest of a page', async () => {
    const query = 'query($n: Int) { backtests(first: $n) { edges { node { id trades(first: $n) { edges { node { entryTime exitTime pnl } } } } } } }';
    const res = await request(app, { query, variables: { n: 500 } });
    expect(codes(res)).toEqual(['QUERY_LIMIT_EXCEEDED']);
  });
});

describe('page sizes: the same rule on every connection, before execution (finding 13)', () => {
  const pages: Array<[string, string]> = [
    ['instruments', 'query($n: Int) { instruments(first: $n) { edges { cursor } } }'],
    ['strategies', 'query($n: Int) { strategies(first: $n) { edges { cursor } } }'],
    ['backtests', 'query($n: Int) { backtests(first: $n) { edges { cursor } } }'],
    ['backtestBatches', 'query($n: Int) { backtestBatches(first: $n) { edges { cursor } } }'],
    ['trades', 'query($n: Int) { backtests(first: 1) { edges { node { trades(first: $n) { totalCount } } } } }'],
    ['gaps', `query($n: Int) { instrument(symbol: "${symbols[0]}") { coverage { gaps(first: $n) { totalCount } } } }`],
  ];
  it.each(pages)('%s: first over the maximum or negative is BAD_USER_INPUT naming the field; never a silent truncation', async (field, query) => {
    for (const n of [501, 1500, -1]) {
      const res = await request(app, { query, variables: { n } });
      expect(res.data).toBeUndefined();
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(messages(res)).toContain(`${field}(first: ${n})`);
      expect(messages(res)).toMatch(n < 0 ? /must not be negative/ : /must be at most 500 \(GRAPHQL_MAX_PAGE_SIZE\)/);
    }
    const ok = await request(app, { query, variables: { n: 500 } });
    expect(ok.errors).toBeUndefined();
  });
});

describe('candle points over the whole operation', () => {
  const aliased = (n: number, maxPoints?: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `c${i}: candles(symbol: "${symbols[i % 3]}", interval: "1h", from: "2024-01-01T00:00:00Z", to: "2024-01-${String(2 + (i % 20)).padStart(2, '0')}T00:00:00Z"${maxPoints ? `, maxPoints: ${maxPoints}` : ''}) { candles { time close } }`).join(' ')} }`;

  it('refuses 30 aliased series at the default maxPoints (30 × 10,000 points) and admits them at 1,000 points each', async () => {
    const refused = await request(app, { query: aliased(30) });
    expect(codes(refused)).toEqual(['QUERY_LIMIT_EXCEEDED']);
    expect(messages(refused)).toMatch(/^Candle point limit of 100000 exceeded \(GRAPHQL_MAX_CANDLE_POINTS\), found 300000/);
    const admitted = await request(app, { query: aliased(30, 1000) });
    expect(admitted.errors).toBeUndefined();
    expect(Object.keys(admitted.data as object)).toHaveLength(30);
  });
});

describe('database work while a query runs (finding 1)', () => {
  const thirty = `{ ${Array.from({ length: 30 }, (_, i) => `c${i}: candles(symbol: "${symbols[i % 3]}", interval: "1h", from: "2024-01-01T00:00:00Z", to: "2024-01-${String(2 + (i % 20)).padStart(2, '0')}T00:00:00Z", maxPoints: 100) { candles { time } }`).join(' ')} }`;

  /**
   * While `run` runs: the most connections checked out at once, and the most asked of the
   * pool at once (checked out + waiting). Demand depends less on how fast the machine
   * answers: 30 fields asking at once queue at the pool unless the request's own cap holds
   * them back.
   */
  async function poolPressure(run: () => Promise<unknown>): Promise<{ out: number; demand: number }> {
    let out = 0;
    const peak = { out: 0, demand: 0 };
    const acquire = () => {
      peak.out = Math.max(peak.out, ++out);
      peak.demand = Math.max(peak.demand, out + deps.db.pool.waitingCount);
    };
    const release = () => out--;
    deps.db.pool.on('acquire', acquire);
    deps.db.pool.on('release', release);
    try {
      await run();
    } finally {
      deps.db.pool.off('acquire', acquire);
      deps.db.pool.off('release', release);
    }
    return peak;
  }

  it('one query holds at most GRAPHQL_MAX_CONNECTIONS_PER_REQUEST connections; another client is answered meanwhile', async () => {
    expect(deps.config.graphql.maxConnectionsPerRequest).toBe(2);
    expect(deps.config.database.poolMax).toBe(8);
    let other: Awaited<ReturnType<typeof request>> | undefined;
    const capped = await poolPressure(async () => {
      const heavy = request(app, { query: thirty });
      other = await request(app, { query: `{ instrument(symbol: "${symbols[1]}") { latestCandle { close } } }` });
      const res = await heavy;
      expect(res.errors).toBeUndefined();
      expect(Object.keys(res.data as object)).toHaveLength(30);
    });
    // The heavy query's 2 and the other client's 1 (one more if a background job of the
    // process — the aggregates' refresher — happens to run); nothing queues at the pool.
    expect(capped.out).toBeLessThanOrEqual(4);
    expect(capped.demand).toBeLessThanOrEqual(5);
    expect(other!.errors).toBeUndefined();
    expect(other!.data).toEqual({ instrument: { latestCandle: { close: expect.any(Number) } } });
    // Without the cap the same query asks the pool for everything at once.
    const uncapped = await poolPressure(() => request(appWith({ maxConnectionsPerRequest: 8 }), { query: thirty }));
    expect(uncapped.demand).toBeGreaterThanOrEqual(6);
  });

  it('a query over GRAPHQL_MAX_STATEMENTS fails with REQUEST_BUDGET_EXCEEDED; a smaller one on the same app runs', async () => {
    const strict = appWith({ maxStatements: 10 });
    const over = await request(strict, { query: thirty });
    expect(codes(over)).toContain('REQUEST_BUDGET_EXCEEDED');
    expect(messages(over)).toMatch(/more than 10 database statements \(GRAPHQL_MAX_STATEMENTS\)/);
    const under = await request(strict, { query: `{ instrument(symbol: "${symbols[0]}") { symbol latestCandle { close } } }` });
    expect(under.errors).toBeUndefined();
  });

  it('a statement of a query running past GRAPHQL_STATEMENT_TIMEOUT_MS is cancelled: QUERY_TIMEOUT; the connection goes back to the pool default', async () => {
    const strict = appWith({ statementTimeoutMs: 300 });
    const query = `{ instrument(symbol: "${symbols[2]}") { symbol } }`;
    // Another session holds the instrument table, so the query's lookup waits — as a
    // statement that is simply slow would — until the timeout cancels it.
    const locker = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await locker.connect();
    let timedOut: Awaited<ReturnType<typeof request>>;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE instrument IN ACCESS EXCLUSIVE MODE');
      timedOut = await request(strict, { query });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(codes(timedOut)).toEqual(['QUERY_TIMEOUT']);
    expect(messages(timedOut)).toMatch(/statement timeout/);
    expect(timedOut.data).toEqual({ instrument: null });
    // Work outside a request (jobs, ingests) keeps DATABASE_STATEMENT_TIMEOUT_MS on every
    // connection, the one the query used included; the same query then answers.
    const clients = await Promise.all(Array.from({ length: deps.config.database.poolMax }, () => deps.db.pool.connect()));
    try {
      const shown = await Promise.all(clients.map(async (c) => (await c.query('SHOW statement_timeout')).rows[0].statement_timeout as string));
      expect(new Set(shown)).toEqual(new Set(['30s']));
    } finally {
      for (const c of clients) c.release();
    }
    expect(await request(strict, { query })).toEqual({ status: 200, data: { instrument: { symbol: symbols[2] } } });
  });
});
