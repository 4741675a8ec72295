import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Runtime as Deps } from '../../src/deps.js';
import {
  BacktestCompletedDocument,
  BacktestProgressDocument,
  BatchProgressDocument,
  CreateStrategyDocument,
  RunBacktestBatchDocument,
  RunBacktestDocument,
} from '../../examples/generated/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { insertBulkInstruments } from '../helpers/bulk-instruments.js';
import { randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { collectSse } from '../helpers/sse.js';
import { freePort, runEntry, type Started } from '../helpers/processes.js';
import { describeWithRedis } from '../helpers/redis.js';
import { createMigratedDatabase, dropDatabase } from '../setup/test-databases.js';

/**
 * The real processes a deployment runs: the API server (`npm start`) and, with Redis,
 * separate worker processes (`npm run worker`). Clients subscribe over graphql-ws and SSE.
 */
const HOUR = 3_600_000;
const START = Date.UTC(2023, 0, 2);
const BARS = 2_000;
const range = { from: new Date(START).toISOString(), to: new Date(START + BARS * HOUR).toISOString() };
const processes: Started[] = [];
let deps: Deps;
let headers: Record<string, string>;
let prefix: string;

let databaseUrl: string;
const databaseName = `quantql_test_proc_${process.pid}_${Date.now().toString(36)}`;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    DATABASE_MIGRATE_ON_START: 'false',
    MARKET_SEED_DEMO_DATA: 'false',
    LOG_LEVEL: 'info',
    WORKER_CONCURRENCY: '2',
    WORKER_STALLED_INTERVAL_MS: '1000',
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
    ...extra,
  };
}

async function gql<T>(url: string, document: Parameters<typeof print>[0], variables: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: print(document), variables }) });
  return ((await res.json()) as { data: T }).data;
}

async function startApi(): Promise<string> {
  const port = await freePort();
  const api = runEntry('src/main.ts', [], env({ PORT: String(port) }));
  processes.push(api);
  await api.waitFor(/quantql ready/);
  return `http://127.0.0.1:${port}/graphql`;
}

async function startWorker(): Promise<Started> {
  const worker = runEntry('src/worker.ts', [], env());
  processes.push(worker);
  await worker.waitFor(/consuming backtest jobs/);
  return worker;
}

beforeAll(async () => {
  prefix = `${uniqueName('qp')}:`;
  // A database of its own: an API in embedded-style in-process mode resumes every unfinished
  // backtest it finds, which would include other test files' jobs in the shared database.
  databaseUrl = await createMigratedDatabase(process.env.TEST_ADMIN_DATABASE_URL!, databaseName, 'auto');
  deps = await createTestDeps({ DATABASE_URL: databaseUrl });
  headers = (await createKeyHeader(deps, 'trader')).headers;
});
afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  await deps.close();
  await dropDatabase(process.env.TEST_ADMIN_DATABASE_URL!, databaseName);
});

describe('API server process', () => {
  it('streams a backtest to a graphql-ws subscriber and an SSE subscriber, ending in exactly one completion each', async () => {
    const url = await startApi();
    if (process.env.REDIS_URL) await startWorker();
    const symbol = uniqueName('WS');
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(77, BARS, START, HOUR) });
    const s = await gql<{ createStrategy: { __typename: string; id: string } }>(url, CreateStrategyDocument, { input: { name: 'RSI', kind: 'RSI_REVERSION' } });
    const queued = await gql<{ runBacktest: { __typename: string; id: string } }>(url, RunBacktestDocument, { input: { strategyId: s.createStrategy.id, symbol, interval: '1h', ...range } });
    expect(queued.runBacktest.__typename).toBe('Backtest');
    const id = queued.runBacktest.id;

    const client = createClient({ url: url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: headers.authorization } });
    const wsEvents: Array<{ status: string; progress: number }> = [];
    const sse = collectSse(url, BacktestCompletedDocument, { id }, headers);
    try {
      for await (const result of client.iterate({ query: print(BacktestProgressDocument), variables: { id } })) {
        expect(result.errors).toBeUndefined();
        wsEvents.push((result.data as { backtestProgress: { status: string; progress: number } }).backtestProgress);
      }
    } finally {
      await client.dispose();
    }
    expect(wsEvents.filter((e) => e.status === 'COMPLETED')).toHaveLength(1);
    expect(wsEvents.at(-1)!.status).toBe('COMPLETED');
    const completed = await sse;
    expect(completed.events.map((e) => e.backtestCompleted.status)).toEqual(['COMPLETED']);
    expect(completed.events[0]!.backtestCompleted.metrics!.tradeCount).toBeGreaterThanOrEqual(0);
  }, 90_000);

  it('graphql-ws: a bad key is refused before connection_ack (4403); with a good one, a syntax error is that operation’s error and the same socket goes on to run a mutation and a query (finding 8)', async () => {
    const apiUrl = await startApi();
    const wsUrl = apiUrl.replace('http', 'ws');

    const closes: number[] = [];
    let acked = false;
    const bad = createClient({
      url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: 'Bearer qql_bad' }, retryAttempts: 0, lazy: true,
      on: { connected: () => (acked = true), closed: (e) => void closes.push((e as { code: number }).code) },
    });
    const refused: unknown[] = [];
    try {
      for await (const result of bad.iterate({ query: print(BacktestProgressDocument), variables: { id: '00000000-0000-0000-0000-000000000000' } })) refused.push(result);
    } catch (error) {
      refused.push(error);
    } finally {
      await bad.dispose();
    }
    expect(acked).toBe(false);
    expect(closes).toEqual([4403]);

    let connections = 0;
    const good = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: headers.authorization }, retryAttempts: 0, lazy: false, on: { connected: () => void connections++ } });
    // graphql-ws delivers a refused operation as an `error` message: the client throws its errors.
    const once = async (query: string): Promise<{ data?: unknown; errors?: ReadonlyArray<{ extensions?: unknown }> }> => {
      try {
        for await (const result of good.iterate({ query })) return result;
      } catch (errors) {
        if (Array.isArray(errors)) return { errors };
        throw errors;
      }
      throw new Error('no result');
    };
    try {
      const syntax = await once('{ viewer { ');
      expect(syntax.errors?.map((e) => (e.extensions as { code?: string }).code)).toEqual(['GRAPHQL_PARSE_FAILED']);
      const name = uniqueName('ws');
      const created = await once(`mutation { createStrategy(input: { name: "${name}", kind: BUY_AND_HOLD }) { __typename ... on Strategy { name } } }`);
      expect(created).toEqual({ data: { createStrategy: { __typename: 'Strategy', name } } });
      const viewer = await once('{ viewer { role } }');
      expect(viewer).toEqual({ data: { viewer: { role: 'TRADER' } } });
    } finally {
      await good.dispose();
    }
    expect(connections).toBe(1);
  }, 60_000);
});

describe('API responsiveness', () => {
  it('answers a simple query within 50 ms (median) while backtests run', async () => {
    prefix = `${uniqueName('qr')}:`;
    const url = await startApi();
    if (process.env.REDIS_URL) await startWorker();
    const symbols = await insertBulkInstruments(deps.db.pool, uniqueName('R'), 100, 1500, START);
    const timeQuery = async () => {
      const t = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ systemInfo { version } }' }) });
      await res.json();
      return performance.now() - t;
    };
    // Same-run baseline: the same query on an idle server (the test machine may be loaded).
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push(await timeQuery());
    const s = await gql<{ createStrategy: { id: string } }>(url, CreateStrategyDocument, { input: { name: 'Donchian', kind: 'DONCHIAN_BREAKOUT' } });
    const created = await gql<{ runBacktestBatch: { id: string } }>(url, RunBacktestBatchDocument, {
      input: { strategyId: s.createStrategy.id, symbols, interval: '1h', from: range.from, to: new Date(START + 1500 * HOUR).toISOString() },
    });
    const rawBatchId = Buffer.from(created.runBacktestBatch.id, 'base64').toString().split(':')[1]!;
    const latencies: number[] = [];
    for (;;) {
      const batch = await deps.prisma.backtestBatch.findUniqueOrThrow({ where: { id: rawBatchId } });
      if (batch.status === 'COMPLETED') break;
      if (batch.status !== 'RUNNING') continue;
      latencies.push(await timeQuery());
    }
    expect(latencies.length).toBeGreaterThanOrEqual(5);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // 50 ms, or twice the idle figure when the machine itself is that slow.
    expect(median(latencies)).toBeLessThan(Math.max(50, 2 * median(idle)));
  }, 120_000);
});

describeWithRedis('worker processes (BullMQ)', () => {
  it('spreads a batch over both workers: each takes chunks of it', async () => {
    prefix = `${uniqueName('qc')}:`; // a queue of its own: only this test's two workers take the batch
    const url = await startApi();
    const workers = [await startWorker(), await startWorker()];
    const symbols = await insertBulkInstruments(deps.db.pool, uniqueName('C'), 256, 1500, START);
    const s = await gql<{ createStrategy: { id: string } }>(url, CreateStrategyDocument, { input: { name: 'EMA', kind: 'EMA_CROSSOVER', parameters: { fast: 4, slow: 17 } } });
    const created = await gql<{ runBacktestBatch: { id: string } }>(url, RunBacktestBatchDocument, {
      input: { strategyId: s.createStrategy.id, symbols, interval: '1h', from: range.from, to: new Date(START + 1500 * HOUR).toISOString() },
    });
    const batchId = created.runBacktestBatch.id;
    const rawBatchId = Buffer.from(batchId, 'base64').toString().split(':')[1]!;
    const { events } = await collectSse(url, BatchProgressDocument, { id: batchId }, headers, (e) => e.some((x) => x.batchProgress.status === 'COMPLETED'));
    expect(events.at(-1)!.batchProgress).toMatchObject({ batchId, status: 'COMPLETED', completed: 256, failed: 0, total: 256 });
    // Four chunks of 64: each worker logged starting at least one of them.
    const chunksOf = (w: Started) => new Set([...w.output().matchAll(new RegExp(`"id":"${rawBatchId}\\.(\\d+)"`, 'g'))].map((m) => m[1]));
    const [a, b] = workers.map(chunksOf);
    expect(a!.size).toBeGreaterThanOrEqual(1);
    expect(b!.size).toBeGreaterThanOrEqual(1);
    expect(new Set([...a!, ...b!])).toEqual(new Set(['0', '1', '2', '3']));
  }, 120_000);

  it('a 200-symbol batch completes across two workers, and killing one mid-batch loses no child', async () => {
    prefix = `${uniqueName('qk')}:`; // a queue of its own: only this test's two workers take the batch
    const url = await startApi();
    const workers = [await startWorker(), await startWorker()];
    const symbols = await insertBulkInstruments(deps.db.pool, uniqueName('K'), 200, 1500, START);
    const s = await gql<{ createStrategy: { id: string } }>(url, CreateStrategyDocument, { input: { name: 'SMA', kind: 'SMA_CROSSOVER', parameters: { fast: 3, slow: 12 } } });
    const created = await gql<{ runBacktestBatch: { __typename: string; id: string } }>(url, RunBacktestBatchDocument, {
      input: { strategyId: s.createStrategy.id, symbols, interval: '1h', from: range.from, to: new Date(START + 1500 * HOUR).toISOString() },
    });
    expect(created.runBacktestBatch.__typename).toBe('BacktestBatch');
    const batchId = created.runBacktestBatch.id;
    const rawBatchId = Buffer.from(batchId, 'base64').toString().split(':')[1]!;

    // Kill the worker that took the batch as soon as the first child has finished.
    const progress = collectSse(url, BatchProgressDocument, { id: batchId }, headers, (events) => events.some((e) => e.batchProgress.status === 'COMPLETED'));
    const owner = await Promise.race(workers.map((w) => w.waitFor(new RegExp(`"id":"${rawBatchId}"`)).then(() => w)));
    const firstChild = collectSse(url, BatchProgressDocument, { id: batchId }, headers, (events) => events.some((e) => e.batchProgress.completed >= 1));
    await firstChild;
    owner.child.kill('SIGKILL');
    expect(await owner.exited).toBeNull();

    const { events } = await progress;
    const last = events.at(-1)!.batchProgress;
    expect(last).toMatchObject({ status: 'COMPLETED', completed: 200, failed: 0, total: 200 });
    const rows = await deps.prisma.backtest.groupBy({ by: ['status'], where: { batchId: rawBatchId }, _count: true });
    expect(rows).toEqual([{ status: 'COMPLETED', _count: 200 }]);
    const survivor = workers.find((w) => w !== owner)!;
    expect(survivor.output()).toContain(rawBatchId);
  }, 120_000);
});

describe('graceful shutdown (SIGTERM)', () => {
  it('ends open subscriptions with SERVICE_UNAVAILABLE, lets running jobs finish (waiting ones stay queued), exits 0 with a final log line; a restart completes the batch', async () => {
    prefix = `${uniqueName('qs')}:`;
    const url = await startApi();
    const api = processes.at(-1)!;
    const worker = process.env.REDIS_URL ? await startWorker() : null;
    const symbols = await insertBulkInstruments(deps.db.pool, uniqueName('S'), 200, 3000, START);
    const s = await gql<{ createStrategy: { id: string } }>(url, CreateStrategyDocument, { input: { name: 'SMA', kind: 'SMA_CROSSOVER', parameters: { fast: 5, slow: 20 } } });
    const created = await gql<{ runBacktestBatch: { id: string } }>(url, RunBacktestBatchDocument, {
      input: { strategyId: s.createStrategy.id, symbols, interval: '1h', from: range.from, to: new Date(START + 3000 * HOUR).toISOString() },
    });
    const batchId = created.runBacktestBatch.id;
    const rawBatchId = Buffer.from(batchId, 'base64').toString().split(':')[1]!;

    // Two subscribers, one per transport, open when the signal arrives.
    const sse = collectSse(url, BatchProgressDocument, { id: batchId }, headers);
    const client = createClient({ url: url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: headers.authorization }, retryAttempts: 0 });
    const ws = (async () => {
      const results: unknown[] = [];
      try {
        for await (const result of client.iterate({ query: print(BatchProgressDocument), variables: { id: batchId } })) results.push(result);
        return { results, thrown: null };
      } catch (thrown) {
        return { results, thrown };
      }
    })();
    await collectSse(url, BatchProgressDocument, { id: batchId }, headers, (events) => events.some((e) => e.batchProgress.completed >= 1));

    api.child.kill('SIGTERM');
    worker?.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    const lastLine = (p: Started) => JSON.parse(p.output().trim().split('\n').at(-1)!) as { msg: string; signal: string };
    expect(lastLine(api)).toMatchObject({ msg: 'shutdown complete', signal: 'SIGTERM' });
    if (worker) {
      expect(await worker.exited).toBe(0);
      expect(lastLine(worker)).toMatchObject({ msg: 'shutdown complete', signal: 'SIGTERM' });
    }

    const sseEnd = await sse;
    expect(sseEnd.events.at(-1)!.batchProgress.status).toBe('RUNNING');
    expect(sseEnd.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/shutting down/), extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) })]);
    const wsEnd = await ws;
    await client.dispose();
    // graphql-ws: the same error as the stream's last result, then `complete` (not a 4500 close).
    expect(wsEnd.thrown).toBeNull();
    expect(wsEnd.results.at(-1)).toEqual({ errors: [expect.objectContaining({ message: expect.stringMatching(/shutting down/), extensions: { code: 'SERVICE_UNAVAILABLE' } })] });

    // Nothing lost: what had not run is still queued, and the next start completes it.
    const url2 = await startApi();
    if (process.env.REDIS_URL) await startWorker();
    const { events } = await collectSse(url2, BatchProgressDocument, { id: batchId }, headers, (e) => e.some((x) => x.batchProgress.status === 'COMPLETED'));
    expect(events.at(-1)!.batchProgress).toMatchObject({ status: 'COMPLETED', completed: 200, failed: 0, total: 200 });
    const rows = await deps.prisma.backtest.groupBy({ by: ['status'], where: { batchId: rawBatchId }, _count: true });
    expect(rows).toEqual([{ status: 'COMPLETED', _count: 200 }]);
  }, 120_000);
});
