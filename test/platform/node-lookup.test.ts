import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { post } from '../helpers/graphql.js';

/**
 * node(id:) / nodes(ids:) answer null — never an error — for ids that are missing, belong to
 * another owner, name a type without such a row, or are not ids at all (issue 13, finding 3).
 */
let deps: Deps;
let app: App;
let alice: { owner: string; headers: Record<string, string> };
let bob: { owner: string; headers: Record<string, string> };
let admin: { owner: string; headers: Record<string, string> };
const rows: Record<string, string> = {};

beforeAll(async () => {
  deps = await createTestDeps();
  app = createApp(deps);
  alice = await createKeyHeader(deps, 'trader');
  bob = await createKeyHeader(deps, 'trader');
  admin = await createKeyHeader(deps, 'admin');
  const instrument = await deps.prisma.instrument.create({ data: { symbol: uniqueName('NODE'), name: 'node lookups', baseInterval: '1h' } });
  const strategy = await deps.prisma.strategy.create({ data: { owner: alice.owner, name: 's', kind: 'BUY_AND_HOLD', parameters: {} } });
  const range = { strategyKind: 'BUY_AND_HOLD', parameters: {}, interval: '1h', from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-02-01T00:00:00Z'), config: {} };
  const batch = await deps.prisma.backtestBatch.create({
    data: { owner: alice.owner, strategyId: strategy.id, symbols: [instrument.symbol], total: 1, ...range },
  });
  const backtest = await deps.prisma.backtest.create({
    data: { owner: alice.owner, strategyId: strategy.id, instrumentId: instrument.id, symbol: instrument.symbol, cacheKey: 'k', ...range },
  });
  rows.Strategy = strategy.id;
  rows.Backtest = backtest.id;
  rows.BacktestBatch = batch.id;
  rows.ApiKey = (await deps.prisma.apiKey.findFirstOrThrow({ where: { owner: alice.owner } })).id;
  rows.Instrument = String(instrument.id);
});
afterAll(async () => deps.close());

const MISSING_UUID = '6f0c1a52-5d1e-4a8e-9a43-0c6c1d6c0b11';

async function node(id: string, headers: Record<string, string>) {
  const res = await post(app, { query: 'query($id: ID!) { node(id: $id) { __typename id } }', variables: { id } }, headers);
  expect(res.status).toBe(200);
  return res.body;
}

describe('node(id:) and nodes(ids:)', () => {
  it('finds the caller’s own rows of every node type by global id', async () => {
    for (const [type, raw] of Object.entries(rows)) {
      const headers = type === 'ApiKey' ? admin.headers : alice.headers;
      const body = await node(encodeGlobalID(type, raw), headers);
      expect(body).toEqual({ data: { node: { __typename: type, id: encodeGlobalID(type, raw) } } });
    }
  });

  it('answers null without an error for another owner’s rows', async () => {
    for (const type of ['Strategy', 'Backtest', 'BacktestBatch']) {
      expect(await node(encodeGlobalID(type, rows[type]!), bob.headers)).toEqual({ data: { node: null } });
    }
  });

  const unknown: Array<[string, string]> = [
    ['a missing Backtest', encodeGlobalID('Backtest', MISSING_UUID)],
    ['a missing Strategy', encodeGlobalID('Strategy', MISSING_UUID)],
    ['a missing BacktestBatch', encodeGlobalID('BacktestBatch', MISSING_UUID)],
    ['a missing Instrument', encodeGlobalID('Instrument', '987654321')],
    ['a Backtest id that is not a UUID', encodeGlobalID('Backtest', 'not-a-uuid')],
    ['a Strategy id that is not a UUID', encodeGlobalID('Strategy', "1' OR '1'='1")],
    ['an Instrument id that is not a number', encodeGlobalID('Instrument', 'abc')],
    ['an Instrument id beyond int4', encodeGlobalID('Instrument', '99999999999999')],
    ['an unknown type', encodeGlobalID('Portfolio', MISSING_UUID)],
    ['a string that is not a global id', '%%%'],
    ['an empty string', ''],
  ];
  it.each(unknown)('answers null without an error for %s', async (_name, id) => {
    expect(await node(id, admin.headers)).toEqual({ data: { node: null } });
  });

  it('nodes(ids:) keeps order and answers null where a row is not visible', async () => {
    const ids = [
      encodeGlobalID('Backtest', rows.Backtest!),
      encodeGlobalID('Backtest', MISSING_UUID),
      encodeGlobalID('Strategy', rows.Strategy!),
      'garbage',
    ];
    const res = await post(app, { query: 'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }', variables: { ids } }, alice.headers);
    expect(res.body).toEqual({
      data: { nodes: [{ __typename: 'Backtest', id: ids[0] }, null, { __typename: 'Strategy', id: ids[2] }, null] },
    });
    const other = await post(app, { query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids } }, bob.headers);
    expect(other.body).toEqual({ data: { nodes: [null, null, null, null] } });
  });
});

describe('node(id:) of a type the caller may not read', () => {
  it('a trader asking for an API key gets a FORBIDDEN error and no key', async () => {
    const body = await node(encodeGlobalID('ApiKey', rows.ApiKey!), alice.headers);
    expect(body.data).toEqual({ node: null });
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});
