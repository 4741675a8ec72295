import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import { startJobConsumer, type JobConsumer } from '../../src/jobs/consumer.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { CreateStrategyDocument, RunBacktestDocument } from '../../examples/generated/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { execute, post } from '../helpers/graphql.js';
import { describeWithRedis } from '../helpers/redis.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * Redis goes away and comes back (issue 13, faults): queries keep answering, submissions get
 * a clear QueueUnavailableError (and leave no row behind), /ready says why; once Redis is
 * back, submissions work without a restart and no accepted backtest is lost. Redis is the
 * real one behind a TCP proxy this file stops and starts.
 */
describeWithRedis('Redis outage', () => {
  let proxy: TcpProxy;
  let deps: Deps;
  let app: App;
  let consumer: JobConsumer;
  let trader: { owner: string; headers: Record<string, string> };
  let strategyId: string;
  const symbol = uniqueName('FLT');
  const HOUR = 3_600_000;

  beforeAll(async () => {
    const redis = new URL(process.env.REDIS_URL!);
    proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    deps = await createTestDeps({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_KEY_PREFIX: `${uniqueName('flt')}:`, WORKER_CONCURRENCY: '1' });
    app = createApp(deps);
    consumer = await startJobConsumer(deps, { resumeUnfinished: false });
    trader = await createKeyHeader(deps, 'trader');
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(31, 400, Date.UTC(2024, 0, 1), HOUR) });
    const s = (await execute(app, CreateStrategyDocument, { input: { name: 'f', kind: 'SMA_CROSSOVER', parameters: { fast: 3, slow: 9 } } }, trader.headers)).body.data!.createStrategy;
    if (s.__typename !== 'Strategy') throw new Error(JSON.stringify(s));
    strategyId = s.id;
  }, 60_000);
  afterAll(async () => {
    await proxy.start().catch(() => undefined);
    await consumer?.stop();
    await deps?.close();
    await proxy?.close();
  });

  const submit = async (commission: number) =>
    (await execute(app, RunBacktestDocument, { input: { strategyId, symbol, interval: '1h', from: '2024-01-01T00:00:00Z', to: '2024-01-15T00:00:00Z', commission } }, trader.headers)).body
      .data!.runBacktest;
  const ready = async () => (await (await app.fetch('http://quantql.test/ready')).json()) as { status: string; reason?: string };
  /** Polls a condition (not a clock) until it holds. */
  async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
    for (;;) {
      const value = await read();
      if (ok(value)) return value;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const statusOf = async (id: string) => (await deps.prisma.backtest.findUniqueOrThrow({ where: { id: Buffer.from(id, 'base64').toString().split(':')[1]! } })).status;

  it('answers queries, refuses submissions clearly and says so on /ready while Redis is down; works again when it is back, losing nothing', async () => {
    expect(await ready()).toEqual({ status: 'ready' });
    const before = await submit(0.001);
    if (before.__typename !== 'Backtest') throw new Error(JSON.stringify(before));

    await proxy.stop();
    const degraded = await until(ready, (r) => r.status !== 'ready');
    expect(degraded).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/^redis unreachable: .*backtest submissions and live updates are unavailable; queries answer$/) });

    const query = await post(app, { query: `{ instrument(symbol: "${symbol}") { symbol latestCandle { close } } }` }, trader.headers);
    expect(query.status).toBe(200);
    expect(query.body.errors).toBeUndefined();
    const rows = await deps.prisma.backtest.count({ where: { owner: trader.owner } });
    const refused = await submit(0.002);
    expect(refused).toMatchObject({ __typename: 'QueueUnavailableError', code: 'QUEUE_UNAVAILABLE' });
    expect(await deps.prisma.backtest.count({ where: { owner: trader.owner } })).toBe(rows);

    await proxy.start();
    await until(ready, (r) => r.status === 'ready');
    const after = await until(() => submit(0.003), (r) => r.__typename === 'Backtest');
    if (after.__typename !== 'Backtest') throw new Error();
    // Both accepted backtests run to completion: the one queued before the outage is not lost.
    await until(() => statusOf(after.id), (s) => s === 'COMPLETED');
    await until(() => statusOf(before.id), (s) => s === 'COMPLETED');
  }, 120_000);
});
