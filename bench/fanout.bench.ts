import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { Queue } from 'bullmq';
import { parse } from 'graphql';
import { Redis } from 'ioredis';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { CreateStrategyDocument, RunBacktestDocument } from '../examples/generated/graphql.js';
import { QUEUE } from '../src/jobs/bullmq.queue.js';
import { runEntry } from '../test/helpers/processes.js';
import { describeDialect, seededHourlyCandles, withBenchDatabase, withBenchRuntime } from './bench-database.js';
import { startStack } from './bench-stack.js';
import { subscribeSse } from './sse-client.js';

/**
 * Budget (issue 10): 1,000 concurrent SSE subscribers to one backtest all receive its
 * completion, p99 delivery ≤ 100 ms. Services path (the one that fans out across
 * processes): the API process and a worker process with Redis; the bench pauses the queue,
 * so the backtest stays QUEUED while every subscriber connects and gets its opening event,
 * then resumes it. A smaller run (100 subscribers) goes first: a serving API and worker
 * have run these paths before. Delivery = when a subscriber receives the terminal event − the event's `at`
 * (set by the worker when the run completed; same machine, same clock).
 * The floor, measured in the same run with the same client: a bare node:http server sending
 * one event to as many open SSE responses (bench/sse-floor-server.ts) — what the machine
 * costs before any GraphQL, pub/sub or stream plumbing. Subscribers are lean raw-socket
 * clients (bench/sse-client.ts): on 2 cores they share the CPU with the server they measure.
 *   DATABASE_URL=postgresql://…/postgres REDIS_URL=redis://… npx tsx bench/fanout.bench.ts
 */
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
const BARS = Number(process.env.BENCH_BARS ?? 20_000);
const START = Date.UTC(2023, 0, 2);

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!databaseUrl || !redisUrl) {
  console.log('fanout bench: needs DATABASE_URL and REDIS_URL (the services path); skipped');
  process.exit(0);
}

type Progress = { backtestProgress: { status: string; at: string } };
const ProgressDocument = parse('subscription Progress($id: ID!) { backtestProgress(id: $id) { status at } }') as TypedDocumentNode<Progress, { id: string }>;
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

interface Delivery {
  /** Delivery times, ms, fastest first. */
  sorted: number[];
  connectMs: number;
  /** CPU of this process (the subscribers) while the event went out, ms. */
  clientCpuMs: number;
}

/**
 * Opens `subscribers` streams, waits until each has its opening event, calls `fire`, and
 * returns how long each took to receive the terminal event (its `at` to its arrival).
 */
async function measureDelivery(url: string, headers: Readonly<Record<string, string>>, id: string, fire: () => Promise<void>, subscribers = SUBSCRIBERS): Promise<Delivery> {
  let opened = 0;
  let allOpen: () => void = () => undefined;
  const open = new Promise<void>((resolve) => (allOpen = resolve));
  const connecting = performance.now();
  const subscriptions: Array<{ close(): void }> = [];
  const deliveries = Array.from({ length: subscribers }, async () => {
    let receivedAt = 0;
    let received = 0;
    const subscription = subscribeSse(url, ProgressDocument, { id }, headers, (event) => {
      if (++received === 1 && ++opened === subscribers) allOpen();
      if (TERMINAL.has(event.backtestProgress.status)) receivedAt = Date.now();
    });
    subscriptions.push(subscription);
    const events = await subscription.done;
    const terminal = events.at(-1)!.backtestProgress;
    if (terminal.status !== 'COMPLETED') throw new Error(`subscriber saw ${terminal.status}`);
    return receivedAt - new Date(terminal.at).getTime();
  });
  await Promise.race([open, Promise.all(deliveries)]);
  const connectMs = performance.now() - connecting;
  const cpu = process.cpuUsage();
  await fire();
  const latencies = await Promise.all(deliveries).finally(() => subscriptions.forEach((s) => s.close()));
  const used = process.cpuUsage(cpu);
  return { sorted: [...latencies].sort((a, b) => a - b), connectMs, clientCpuMs: (used.user + used.system) / 1000 };
}

const at = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
const describe = (d: Delivery) => `fastest ${d.sorted[0]} ms, median ${at(d.sorted, 0.5)} ms, p99 ${at(d.sorted, 0.99)} ms, max ${d.sorted.at(-1)} ms`;

console.log(`fanout bench: ${SUBSCRIBERS} SSE subscribers to one backtest of ${BARS.toLocaleString('en')} bars; Node ${process.version}, ${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const floorServer = runEntry('bench/sse-floor-server.ts', [], {});
const floor = await (async () => {
  try {
    const port = /listening (\d+)/.exec(await floorServer.waitFor(/listening \d+/))![1];
    return await measureDelivery(`http://127.0.0.1:${port}/sse`, {}, 'floor', async () => {
      await fetch(`http://127.0.0.1:${port}/fire`, { method: 'POST' }).then((r) => r.text());
    });
  } finally {
    floorServer.child.kill('SIGTERM');
    await floorServer.exited;
  }
})();
console.log(`floor, a bare node:http server: ${SUBSCRIBERS} streams open in ${floor.connectMs.toFixed(0)} ms; delivery ${describe(floor)}; subscribers' CPU ${floor.clientCpuMs.toFixed(0)} ms`);

await withBenchDatabase('fanout', databaseUrl, (url) =>
  withBenchRuntime(url, async (deps) => {
    await deps.services.marketData.ingestCandles({ symbol: 'FAN', baseInterval: '1h', candles: seededHourlyCandles(7, BARS, START) }, { maxCandles: null });
    const key = await deps.services.accounts.createApiKey({ owner: 'bench', role: 'trader' });
    const keyPrefix = `quantql-bench-${randomUUID()}:`;
    const stack = await startStack({ databaseUrl: url, apiKey: key.key, redis: { url: redisUrl, keyPrefix, workers: 1 } });
    // The bench holds the shared queue while subscribers connect (BullMQ's global pause).
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE, { connection, prefix: `${keyPrefix}bull` });
    try {
      const strategy = (await stack.post(CreateStrategyDocument, { input: { name: 'SMA', kind: 'SMA_CROSSOVER', parameters: { fast: 10, slow: 30 } } })).createStrategy;
      if (strategy.__typename !== 'Strategy') throw new Error(JSON.stringify(strategy));
      const api = stack.processes[0]!;
      /** A run over `bars` bars watched by `subscribers`: queued while the queue is paused, released once each has its QUEUED state. */
      const watchRun = async (bars: number, subscribers: number) => {
        await queue.pause();
        const run = (await stack.post(RunBacktestDocument, {
          input: { strategyId: strategy.id, symbol: 'FAN', interval: '1h', from: new Date(START).toISOString(), to: new Date(START + bars * 3_600_000).toISOString() },
        })).runBacktest;
        if (run.__typename !== 'Backtest' || run.status !== 'QUEUED') throw new Error(JSON.stringify(run));
        let cpu = 0;
        const delivery = await measureDelivery(stack.url, stack.headers, run.id, async () => {
          cpu = await api.cpuMs();
          await queue.resume();
        }, subscribers);
        return { ...delivery, apiCpuMs: (await api.cpuMs()) - cpu };
      };
      // A serving API and worker have run these paths before (JIT): one smaller run first.
      await watchRun(BARS / 2, 100);
      const quantql = await watchRun(BARS, SUBSCRIBERS);
      const p99 = at(quantql.sorted, 0.99);
      console.log(`database: DATABASE_URL server, ${describeDialect(deps)}; pub/sub: Redis; one worker process`);
      console.log(`  ${SUBSCRIBERS} subscribers connected and got the QUEUED state in ${quantql.connectMs.toFixed(0)} ms (the queue paused); then the queue resumed and the worker ran the backtest`);
      console.log(`  all ${quantql.sorted.length} subscribers received the completion`);
      console.log(`  delivery: ${describe(quantql)} — ${(p99 / at(floor.sorted, 0.99)).toFixed(1)}× the floor's p99 — budget p99 ≤ 100 ms: ${p99 <= 100 ? 'met' : 'MISSED'}`);
      console.log(`  CPU from the queue's resume to the last delivery: API ${quantql.apiCpuMs.toFixed(0)} ms, subscribers ${quantql.clientCpuMs.toFixed(0)} ms`);
    } finally {
      await queue.close();
      connection.disconnect(); // BullMQ leaves a connection it was given open
      await stack.stop();
    }
  }),
);
