import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { post } from '../helpers/graphql.js';

/** /metrics in Prometheus' text format (issue 13, observability). */
let deps: Deps;
let app: App;
let reader: Record<string, string>;
const symbol = uniqueName('MET');

beforeAll(async () => {
  deps = await createTestDeps();
  app = createApp(deps);
  reader = (await createKeyHeader(deps, 'reader')).headers;
  await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(5, 48, Date.UTC(2024, 0, 1), 3_600_000) });
});
afterAll(async () => deps.close());

const scrape = async (target: App, headers: Record<string, string> = {}) => {
  const response = await target.fetch('http://quantql.test/metrics', { headers });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};

/** The value of the sample whose line starts with `prefix` (labels included). */
const sample = (text: string, prefix: string) => {
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('/metrics', () => {
  it('reports operation durations by name, SQL durations by statement, queue depth, cache lookups, open subscriptions and the process', async () => {
    const res = await post(app, { query: `query LatestOfOne { instrument(symbol: "${symbol}") { latestCandle { close } } }` }, reader);
    expect(res.body.errors).toBeUndefined();
    const metrics = await scrape(app);
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain/);
    expect(sample(metrics.text, 'graphql_envelop_phase_execute_count{operationName="LatestOfOne",operationType="query"}')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics.text, 'graphql_envelop_request_duration_count{operationName="LatestOfOne",operationType="query"}')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics.text, 'quantql_sql_duration_seconds_count{statement="findLatestCandles",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    for (const state of ['waiting', 'active', 'delayed', 'failed']) expect(sample(metrics.text, `quantql_queue_jobs{state="${state}"}`)).toBeGreaterThanOrEqual(0);
    expect(sample(metrics.text, 'quantql_candle_cache_lookups{level="l1",result="hit"}')).toBeGreaterThanOrEqual(0);
    expect(sample(metrics.text, 'quantql_open_subscriptions')).toBe(0);
    expect(sample(metrics.text, 'quantql_process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('systemMetrics (admin) shows p50/p95/p99 per operation, cache hit rates, the queue and open subscriptions', async () => {
    for (let i = 0; i < 3; i++) await post(app, { query: `query LatestAgain { instrument(symbol: "${symbol}") { latestCandle { close } } }` }, reader);
    const admin = (await createKeyHeader(deps, 'admin')).headers;
    const res = await post(app, { query: '{ systemMetrics { operations { name type count p50Ms p95Ms p99Ms } candleCache { l1 { hits misses hitRate } } queue { waiting } openSubscriptions } }' }, admin);
    expect(res.body.errors).toBeUndefined();
    const m = res.body.data!.systemMetrics as {
      operations: Array<{ name: string; type: string; count: number; p50Ms: number; p95Ms: number; p99Ms: number }>;
      candleCache: { l1: { hits: number; misses: number; hitRate: number | null } };
      queue: { waiting: number };
      openSubscriptions: number;
    };
    const op = m.operations.find((o) => o.name === 'LatestAgain')!;
    expect(op).toMatchObject({ type: 'query', count: 3 });
    expect(op.p50Ms).toBeGreaterThanOrEqual(0);
    expect(op.p99Ms).toBeGreaterThanOrEqual(op.p50Ms);
    expect(m.queue.waiting).toBeGreaterThanOrEqual(0);
    expect(m.openSubscriptions).toBe(0);
    const refused = await post(app, { query: '{ systemMetrics { openSubscriptions } }' }, reader);
    expect(refused.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });

  it('counts an error result under its operation', async () => {
    await post(app, { query: 'query Broken { instrument(symbol: "x") { nope } }' }, reader);
    const metrics = await scrape(app);
    expect(metrics.text).toMatch(/graphql_envelop_error_result\{[^}]*\} [1-9]/);
  });

  it('answers only the bearer of METRICS_TOKEN when one is set', async () => {
    const guarded = createApp({ ...deps, config: { ...deps.config, metrics: { token: 'a-long-metrics-token' } } });
    expect((await scrape(guarded)).status).toBe(401);
    expect((await scrape(guarded, { authorization: 'Bearer wrong-token-of-length' })).status).toBe(401);
    expect((await scrape(guarded, { authorization: 'Bearer a-long-metrics-token' })).status).toBe(200);
  });
});
