import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { strategySpecs, metricCatalog } from '../../src/engine/index.js';
import {
  CreateStrategyDocument,
  DeleteStrategyDocument,
  MetricCatalogDocument,
  StrategiesDocument,
  StrategyDocument,
  StrategyKindsDocument,
  UpdateStrategyDocument,
} from '../../examples/generated/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { createTestDeps } from '../helpers/deps.js';
import { execute } from '../helpers/graphql.js';

let deps: Deps;
let app: App;
let alice: Record<string, string>;
let aliceOwner: string;
let bob: Record<string, string>;
let reader: Record<string, string>;

beforeAll(async () => {
  deps = await createTestDeps();
  app = createApp(deps);
  ({ headers: alice, owner: aliceOwner } = await createKeyHeader(deps, 'trader'));
  bob = (await createKeyHeader(deps, 'trader')).headers;
  reader = (await createKeyHeader(deps, 'reader')).headers;
});
afterAll(async () => deps.close());

async function create(headers: Record<string, string>, input: { name: string; kind: string; parameters?: unknown; description?: string }) {
  const res = await execute(app, CreateStrategyDocument, { input: input as never }, headers);
  return res.body.data!.createStrategy;
}

describe('strategy kinds and metric catalog', () => {
  it('serves every kind with its parameter specs, from the engine’s single source', async () => {
    const { body } = await execute(app, StrategyKindsDocument, {}, reader);
    const kinds = body.data!.strategyKinds;
    expect(kinds.map((k) => k.kind)).toEqual(strategySpecs.map((s) => s.kind));
    const sma = kinds.find((k) => k.kind === 'SMA_CROSSOVER')!;
    expect(sma.parameters.map((p) => p.name)).toEqual(['fast', 'slow']);
    expect(sma.parameters[0]).toMatchObject({ type: 'INT', default: 10, min: 1 });
    expect(sma.constraints).toEqual(['fast < slow']);
    const rsi = kinds.find((k) => k.kind === 'RSI_REVERSION')!;
    expect(rsi.parameters.map((p) => [p.name, p.default])).toEqual([['period', 14], ['oversold', 30], ['overbought', 70]]);
  });

  it('serves the metric catalog', async () => {
    const { body } = await execute(app, MetricCatalogDocument, {}, reader);
    expect(body.data!.metricCatalog.map((m) => m.name)).toEqual(metricCatalog.map((m) => m.name));
    expect(body.data!.metricCatalog.find((m) => m.name === 'maxDrawdown')).toMatchObject({ unit: 'FRACTION' });
  });
});

describe('strategy lifecycle', () => {
  it('creates with defaults filled, reads, lists, updates, and deletes', async () => {
    const created = await create(alice, { name: '  Fast MACD ', kind: 'MACD_CROSSOVER', parameters: { fast: 8 } });
    expect(created.__typename).toBe('Strategy');
    if (created.__typename !== 'Strategy') throw new Error();
    expect(created).toMatchObject({ name: 'Fast MACD', kind: 'MACD_CROSSOVER', parameters: { fast: 8, slow: 26, signal: 9 } });

    const read = await execute(app, StrategyDocument, { id: created.id }, alice);
    expect(read.body.data!.strategy).toMatchObject({ id: created.id, name: 'Fast MACD', archived: false });
    const listed = await execute(app, StrategiesDocument, { first: 50 }, alice);
    expect(listed.body.data!.strategies.edges.map((e) => e.node.id)).toContain(created.id);

    const updated = await execute(app, UpdateStrategyDocument, { input: { id: created.id, name: 'MACD 8', parameters: { fast: 5, slow: 20 } } }, alice);
    expect(updated.body.data!.updateStrategy).toMatchObject({ __typename: 'Strategy', name: 'MACD 8', parameters: { fast: 5, slow: 20, signal: 9 } });

    const deleted = await execute(app, DeleteStrategyDocument, { id: created.id }, alice);
    expect(deleted.body.data!.deleteStrategy).toMatchObject({ __typename: 'DeleteStrategyPayload', id: created.id, archived: false });
    expect((await execute(app, StrategyDocument, { id: created.id }, alice)).body.data!.strategy).toBeNull();
  });

  it('archives instead of deleting a strategy that has backtests', async () => {
    const created = await create(alice, { name: 'Kept', kind: 'BUY_AND_HOLD' });
    if (created.__typename !== 'Strategy') throw new Error();
    const rawId = Buffer.from(created.id, 'base64').toString().split(':')[1]!;
    const instrument = await deps.prisma.instrument.create({ data: { symbol: `ARCH${Date.now()}`, name: 'x', baseInterval: '1h' } });
    await deps.prisma.backtest.create({
      data: { owner: 'whoever', strategyId: rawId, strategyKind: 'BUY_AND_HOLD', parameters: {}, instrumentId: instrument.id, symbol: instrument.symbol, interval: '1h', from: new Date(0), to: new Date(1), config: {}, cacheKey: 'k' },
    });
    const deleted = await execute(app, DeleteStrategyDocument, { id: created.id }, alice);
    expect(deleted.body.data!.deleteStrategy).toMatchObject({ __typename: 'DeleteStrategyPayload', id: created.id, archived: true });
    expect((await execute(app, StrategyDocument, { id: created.id }, alice)).body.data!.strategy).toMatchObject({ archived: true });
    const listed = await execute(app, StrategiesDocument, { first: 50 }, alice);
    expect(listed.body.data!.strategies.edges.map((e) => e.node.id)).not.toContain(created.id);
    const withArchived = await execute(app, StrategiesDocument, { first: 50, includeArchived: true }, alice);
    expect(withArchived.body.data!.strategies.edges.map((e) => e.node.id)).toContain(created.id);
    const update = await execute(app, UpdateStrategyDocument, { input: { id: created.id, name: 'renamed' } }, alice);
    expect(update.body.data!.updateStrategy).toMatchObject({ __typename: 'ValidationError' });
  });
});

describe('strategy validation and ownership', () => {
  const bad: Array<[string, { name: string; kind: string; parameters?: unknown }, string[]]> = [
    ['fast not below slow', { name: 's', kind: 'SMA_CROSSOVER', parameters: { fast: 30, slow: 10 } }, ['parameters']],
    ['an unknown parameter', { name: 's', kind: 'EMA_CROSSOVER', parameters: { fats: 3 } }, ['parameters', 'fats']],
    ['a period below 1', { name: 's', kind: 'RSI_REVERSION', parameters: { period: 0 } }, ['parameters', 'period']],
    ['a non-integer period', { name: 's', kind: 'DONCHIAN_BREAKOUT', parameters: { entry: 2.5 } }, ['parameters', 'entry']],
    ['an empty name', { name: '   ', kind: 'BUY_AND_HOLD' }, ['name']],
    ['parameters that are not an object', { name: 's', kind: 'SMA_CROSSOVER', parameters: [1, 2] }, ['kind']],
  ];
  it.each(bad)('rejects %s with a ValidationError naming the field, creating nothing', async (_n, input, pathPrefix) => {
    const before = await deps.prisma.strategy.count({ where: { owner: aliceOwner } });
    const result = await create(alice, input);
    expect(result.__typename).toBe('ValidationError');
    if (result.__typename !== 'ValidationError') throw new Error();
    expect(result.issues.some((i) => pathPrefix.every((p, k) => i.path[k] === p))).toBe(true);
    expect(await deps.prisma.strategy.count({ where: { owner: aliceOwner } })).toBe(before);
  });

  it('rejects an unknown kind at the schema level', async () => {
    const res = await execute(app, CreateStrategyDocument, { input: { name: 's', kind: 'MARTINGALE' as never } }, alice);
    expect(res.body.errors![0]!.message).toMatch(/MARTINGALE/);
  });

  it('hides other owners’ strategies: null on read, NotFoundError on update and delete, absent from lists and node()', async () => {
    const mine = await create(alice, { name: 'private', kind: 'BUY_AND_HOLD' });
    if (mine.__typename !== 'Strategy') throw new Error();
    expect((await execute(app, StrategyDocument, { id: mine.id }, bob)).body.data!.strategy).toBeNull();
    const upd = await execute(app, UpdateStrategyDocument, { input: { id: mine.id, name: 'stolen' } }, bob);
    expect(upd.body.data!.updateStrategy).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const del = await execute(app, DeleteStrategyDocument, { id: mine.id }, bob);
    expect(del.body.data!.deleteStrategy).toMatchObject({ __typename: 'NotFoundError' });
    const list = await execute(app, StrategiesDocument, { first: 500 }, bob);
    expect(list.body.data!.strategies.edges.map((e) => e.node.id)).not.toContain(mine.id);
    const node = await app.fetch('http://x/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bob },
      body: JSON.stringify({ query: `{ node(id: "${mine.id}") { id } }` }),
    });
    expect(((await node.json()) as { data: unknown }).data).toEqual({ node: null });
    expect((await execute(app, StrategyDocument, { id: mine.id }, alice)).body.data!.strategy!.name).toBe('private');
  });

  it('lets readers read but not create (ForbiddenError member)', async () => {
    const res = await create(reader, { name: 'nope', kind: 'BUY_AND_HOLD' });
    expect(res).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
  });
});
