import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { isObjectType } from 'graphql';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { schema } from '../../src/graphql/schema.js';
import type { Role } from '../../src/modules/accounts/access.js';
import { randomCandles } from '../helpers/candles.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { post } from '../helpers/graphql.js';

/**
 * Authorization everywhere (issue 13): every root field names its rule, every type of owned
 * data has one, and each operation run as anonymous, reader, trader, another trader and
 * admin is allowed or refused as its rule says — with no service called for a refusal.
 */

const OWNED_TYPES = ['Backtest', 'BacktestBatch', 'Strategy', 'ApiKey'];
type Scopes = Record<string, unknown> | undefined;
const scopesOf = (extensions: unknown): Scopes => (extensions as { pothosOptions?: { authScopes?: Scopes } } | undefined)?.pothosOptions?.authScopes;

describe('every field has a rule', () => {
  it('each query, mutation and subscription field declares its auth scopes', () => {
    const missing: string[] = [];
    for (const root of [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!]) {
      for (const field of Object.values(root.getFields())) if (!scopesOf(field.extensions)) missing.push(`${root.name}.${field.name}`);
    }
    expect(missing).toEqual([]);
  });

  it('each type of owned data declares a rule for all its fields', () => {
    for (const name of OWNED_TYPES) {
      const type = schema.getType(name);
      expect(isObjectType(type)).toBe(true);
      expect(scopesOf(type!.extensions)).toBeDefined();
    }
  });
});

type Caller = 'anonymous' | 'reader' | 'trader' | 'otherTrader' | 'admin';
const CALLERS: Caller[] = ['anonymous', 'reader', 'trader', 'otherTrader', 'admin'];
const RANK: Record<Role | 'public', number> = { public: 0, reader: 1, trader: 2, admin: 3 };
const CALLER_RANK: Record<Caller, number> = { anonymous: 1, reader: 1, trader: 2, otherTrader: 2, admin: 3 };

let deps: Deps;
const headers: Record<Caller, Record<string, string>> = { anonymous: {}, reader: {}, trader: {}, otherTrader: {}, admin: {} };
const ids: Record<string, string> = {};
const symbol = uniqueName('AUTH');
let calls: string[] = [];

/** The app with every service method call recorded (authentication excepted). */
function recordingApp(): App {
  const services = Object.fromEntries(
    Object.entries(deps.services).map(([name, service]) => [
      name,
      new Proxy(service as object, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (typeof value !== 'function' || property === 'authenticate') return value;
          return (...args: unknown[]) => {
            calls.push(`${name}.${String(property)}`);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }),
    ]),
  ) as unknown as Deps['services'];
  return createApp({ ...deps, services, config: { ...deps.config, auth: { ...deps.config.auth, anonymousRead: true } } });
}
let app: App;

beforeAll(async () => {
  deps = await createTestDeps();
  app = recordingApp();
  const trader = await createKeyHeader(deps, 'trader');
  headers.reader = (await createKeyHeader(deps, 'reader')).headers;
  headers.trader = trader.headers;
  headers.otherTrader = (await createKeyHeader(deps, 'trader')).headers;
  headers.admin = (await createKeyHeader(deps, 'admin')).headers;
  await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(3, 50, Date.UTC(2024, 0, 1), 3_600_000) });
  const instrument = (await deps.services.marketData.findInstrumentRef(symbol))!;
  const strategy = await deps.prisma.strategy.create({ data: { owner: trader.owner, name: 's', kind: 'BUY_AND_HOLD', parameters: {} } });
  const range = { strategyKind: 'BUY_AND_HOLD', parameters: {}, interval: '1h', from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-01-02T00:00:00Z'), config: {} };
  const batch = await deps.prisma.backtestBatch.create({ data: { owner: trader.owner, strategyId: strategy.id, symbols: [symbol], total: 1, ...range } });
  const backtest = await deps.prisma.backtest.create({
    data: { owner: trader.owner, strategyId: strategy.id, instrumentId: instrument.id, symbol, cacheKey: uniqueName('k'), ...range },
  });
  const victim = await deps.services.accounts.createApiKey({ owner: uniqueName('victim').toLowerCase(), role: 'reader' });
  ids.strategy = encodeGlobalID('Strategy', strategy.id);
  ids.backtest = encodeGlobalID('Backtest', backtest.id);
  ids.batch = encodeGlobalID('BacktestBatch', batch.id);
  ids.apiKey = encodeGlobalID('ApiKey', victim.id);
});
afterAll(async () => deps.close());

/**
 * The rule of each operation: the role it needs, and whether it works on the trader's own
 * rows (another trader then sees nothing: null or NOT_FOUND, never the rows).
 */
interface Case {
  name: string;
  needs: Role | 'public';
  ownedBy?: 'trader';
  query: string;
  variables?: () => Record<string, unknown>;
  /** The answer of a caller allowed by role but not the owner: what "hidden" looks like. */
  hidden?: (data: Record<string, unknown>) => boolean;
}

const range = '"2024-01-01T00:00:00Z", to: "2024-01-02T00:00:00Z"';
const CASES: Case[] = [
  { name: 'viewer', needs: 'public', query: '{ viewer { owner } }' },
  { name: 'systemInfo', needs: 'reader', query: '{ systemInfo { version } }' },
  { name: 'strategyKinds', needs: 'reader', query: '{ strategyKinds { kind } }' },
  { name: 'metricCatalog', needs: 'reader', query: '{ metricCatalog { name } }' },
  { name: 'instruments', needs: 'reader', query: '{ instruments(first: 1) { edges { cursor } } }' },
  { name: 'instrument', needs: 'reader', query: `{ instrument(symbol: "${symbol}") { symbol } }` },
  { name: 'candles', needs: 'reader', query: `{ candles(symbol: "${symbol}", interval: "1h", from: ${range}) { symbol } }` },
  { name: 'marketSummary', needs: 'reader', query: `{ marketSummary(symbols: ["${symbol}"]) { symbol } }` },
  { name: 'topMovers', needs: 'reader', query: '{ topMovers(limit: 1) { symbol } }' },
  { name: 'strategies', needs: 'reader', query: '{ strategies(first: 1) { edges { cursor } } }' },
  { name: 'strategy', needs: 'reader', ownedBy: 'trader', query: 'query($id: ID!) { strategy(id: $id) { id } }', variables: () => ({ id: ids.strategy }), hidden: (d) => d.strategy === null },
  { name: 'backtests', needs: 'reader', query: '{ backtests(first: 1) { edges { cursor } } }' },
  { name: 'backtest', needs: 'reader', ownedBy: 'trader', query: 'query($id: ID!) { backtest(id: $id) { id } }', variables: () => ({ id: ids.backtest }), hidden: (d) => d.backtest === null },
  { name: 'backtestBatches', needs: 'reader', query: '{ backtestBatches(first: 1) { edges { cursor } } }' },
  { name: 'backtestBatch', needs: 'reader', ownedBy: 'trader', query: 'query($id: ID!) { backtestBatch(id: $id) { id } }', variables: () => ({ id: ids.batch }), hidden: (d) => d.backtestBatch === null },
  { name: 'node', needs: 'reader', ownedBy: 'trader', query: 'query($id: ID!) { node(id: $id) { id } }', variables: () => ({ id: ids.backtest }), hidden: (d) => d.node === null },
  { name: 'apiKeys', needs: 'admin', query: '{ apiKeys(first: 1) { edges { cursor } } }' },
  { name: 'queueStatus', needs: 'admin', query: '{ queueStatus { waiting } }' },
  { name: 'systemMetrics', needs: 'admin', query: '{ systemMetrics { openSubscriptions } }' },
  { name: 'dbDiagnostics', needs: 'admin', query: '{ dbDiagnostics { dialect } }' },
  { name: 'createStrategy', needs: 'trader', query: 'mutation { createStrategy(input: { name: "authz", kind: BUY_AND_HOLD }) { __typename } }' },
  {
    name: 'updateStrategy', needs: 'trader', ownedBy: 'trader',
    query: 'mutation($id: ID!) { updateStrategy(input: { id: $id, name: "renamed" }) { __typename } }', variables: () => ({ id: ids.strategy }),
    hidden: (d) => (d.updateStrategy as { __typename: string }).__typename === 'NotFoundError',
  },
  {
    name: 'cancelBacktest', needs: 'trader', ownedBy: 'trader',
    query: 'mutation($id: ID!) { cancelBacktest(id: $id) { __typename } }', variables: () => ({ id: ids.backtest }),
    hidden: (d) => (d.cancelBacktest as { __typename: string }).__typename === 'NotFoundError',
  },
  {
    name: 'runBacktest', needs: 'trader', ownedBy: 'trader',
    query: `mutation($id: ID!) { runBacktest(input: { strategyId: $id, symbol: "${symbol}", interval: "1h", from: ${range} }) { __typename } }`,
    variables: () => ({ id: ids.strategy }),
    hidden: (d) => (d.runBacktest as { __typename: string }).__typename === 'NotFoundError',
  },
  {
    name: 'ingestCandles', needs: 'admin',
    query: `mutation { ingestCandles(input: { symbol: "${symbol}", baseInterval: "1h", candles: [{ time: "2024-01-01T00:00:00Z", open: 1, high: 1, low: 1, close: 1, volume: 1 }] }) { __typename } }`,
  },
  { name: 'createApiKey', needs: 'admin', query: 'mutation { createApiKey(input: { owner: "authz-made", role: READER }) { __typename } }' },
  { name: 'revokeApiKey', needs: 'admin', query: 'mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }', variables: () => ({ id: ids.apiKey }) },
];

const REFUSALS = ['UNAUTHENTICATED', 'FORBIDDEN'];

/** Codes of the refusal in an answer: top-level errors, or a typed ForbiddenError member. */
function refusal(body: { data?: Record<string, unknown> | null; errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }): string | null {
  const code = body.errors?.map((e) => e.extensions?.code as string).find((c) => REFUSALS.includes(c));
  if (code) return code;
  const member = Object.values(body.data ?? {}).find((v) => (v as { __typename?: string } | null)?.__typename === 'ForbiddenError');
  return member ? 'FORBIDDEN' : null;
}

describe('the role matrix: anonymous, reader, trader, another trader, admin', () => {
  const rows = CASES.flatMap((c) => CALLERS.map((caller) => [c.name, caller, c] as const));
  it.each(rows)('%s as %s', async (_name, caller, c) => {
    calls = [];
    const res = await post(app, { query: c.query, variables: c.variables?.() }, headers[caller]);
    expect(res.status).toBeLessThan(500);
    const allowed = CALLER_RANK[caller] >= RANK[c.needs];
    if (!allowed) {
      expect(refusal(res.body)).toBe(caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN');
      // A refused key is told which role the operation needs (typed members' messages are
      // not selected here; the dashboard's browser test reads one).
      if (caller !== 'anonymous' && res.body.errors) expect(res.body.errors[0]!.message).toBe(`This operation needs the ${c.needs} role; your API key has the ${caller === 'reader' ? 'reader' : 'trader'} role`);
      // Refused before any resolver reached a service.
      expect(calls).toEqual([]);
      return;
    }
    expect(refusal(res.body)).toBeNull();
    expect(res.body.errors ?? []).toEqual([]);
    const owner = c.ownedBy === undefined || caller === 'trader' || caller === 'admin';
    if (c.hidden) expect(c.hidden(res.body.data as Record<string, unknown>)).toBe(!owner);
  });
});
