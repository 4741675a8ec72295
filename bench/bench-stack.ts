import { readdir, readFile } from 'node:fs/promises';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { freePort, runEntry, type Started } from '../test/helpers/processes.js';
import { collectSse } from '../test/helpers/sse.js';

/**
 * quantql as its users run it, for benches: the API (`npm start`'s entry) and workers
 * (`npm run worker`'s entry) as their own processes on a prepared database, reached over
 * HTTP and SSE like any client. Peak memory and CPU time come from /proc.
 */
export interface BenchProcess {
  readonly name: string;
  readonly started: Started;
  /** Peak resident set (VmHWM) so far, bytes. */
  peakRss(): Promise<number>;
  /** User + system CPU time so far, ms. */
  cpuMs(): Promise<number>;
}

export interface BenchStack {
  readonly url: string;
  /** What every request of the bench sends: JSON and the API key. */
  readonly headers: Readonly<Record<string, string>>;
  readonly processes: readonly BenchProcess[];
  post<T, V>(document: TypedDocumentNode<T, V>, variables: V): Promise<T>;
  /** Subscribes over SSE and resolves with every event once `until` holds (or the stream ends). */
  subscribe<T, V>(document: TypedDocumentNode<T, V>, variables: V, until: (events: T[]) => boolean): Promise<T[]>;
  stop(): Promise<void>;
}

export interface StackOptions {
  databaseUrl: string;
  /** Services path: BullMQ and Redis pub/sub; the API runs no backtests, `workers` processes do. */
  redis?: { url: string; keyPrefix: string; workers: number };
  apiKey: string;
  env?: Record<string, string>;
  /** Options for node in every process; default BENCH_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
  nodeArgs?: string[];
}

const CLOCK_TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

/** The fields after the parenthesised command name of /proc/<pid>/stat (utime is [11]). */
async function statFields(pid: number | string): Promise<{ comm: string; fields: string[] } | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') };
}

/**
 * CPU time so far of every process of these servers on this machine (by command name, e.g.
 * `postgres`, `redis-server`), ms: the live ones' own, plus what each parent collected from
 * the children it reaped (cutime/cstime), so PostgreSQL backends that have exited still
 * count. For servers a bench uses alone, the difference between two readings is their share
 * of what happened in between.
 */
export async function serverCpuMs(commands: readonly string[]): Promise<Record<string, number>> {
  const ticks: Record<string, number> = Object.fromEntries(commands.map((c) => [c, 0]));
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await statFields(pid);
    if (!stat || !(stat.comm in ticks)) continue;
    ticks[stat.comm]! += stat.fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0);
  }
  return Object.fromEntries(Object.entries(ticks).map(([c, t]) => [c, t / CLOCK_TICKS_PER_MS]));
}

function benchProcess(name: string, started: Started): BenchProcess {
  const status = () => readFile(`/proc/${started.child.pid}/status`, 'utf8');
  return {
    name,
    started,
    async peakRss() {
      const kb = /VmHWM:\s+(\d+) kB/.exec(await status())?.[1];
      return Number(kb) * 1024;
    },
    async cpuMs() {
      const stat = await statFields(started.child.pid!);
      return stat ? (Number(stat.fields[11]) + Number(stat.fields[12])) / CLOCK_TICKS_PER_MS : NaN;
    },
  };
}

export async function startStack(options: StackOptions): Promise<BenchStack> {
  const port = await freePort();
  const common: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    DATABASE_MIGRATE_ON_START: 'false',
    MARKET_SEED_DEMO_DATA: 'false',
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    // Benches submit thousands of runs from one key: the limiter stays on (its cost is part
    // of the figures) with a limit they never reach.
    RATE_LIMIT_SUBMISSIONS_PER_MINUTE: '1000000',
    // What `npm start`, `npm run worker` and the Dockerfile run with (docs/performance.md).
    GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=67108864:glibc.malloc.trim_threshold=268435456',
    ...(options.redis ? { REDIS_URL: options.redis.url, REDIS_KEY_PREFIX: options.redis.keyPrefix } : {}),
    ...options.env,
  };
  const nodeArgs = options.nodeArgs ?? process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean);
  const processes: BenchProcess[] = [];
  const stop = async () => {
    for (const p of processes) p.started.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.started.exited));
  };
  try {
    const api = runEntry('src/main.ts', [], { ...common, PORT: String(port) }, nodeArgs);
    processes.push(benchProcess('api', api));
    for (let i = 0; i < (options.redis?.workers ?? 0); i++) processes.push(benchProcess(`worker ${i + 1}`, runEntry('src/worker.ts', [], common, nodeArgs)));
    await api.waitFor(/quantql ready/);
    for (const p of processes.slice(1)) await p.started.waitFor(/worker consuming backtest jobs/);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `http://127.0.0.1:${port}/graphql`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.apiKey}` };
  return {
    url,
    headers,
    processes,
    async post(document, variables) {
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: print(document), variables }) });
      const body = (await response.json()) as { data?: any; errors?: unknown[] };
      if (body.errors || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    async subscribe(document, variables, until) {
      const { events, errors } = await collectSse(url, document, variables, headers, until);
      if (errors.length > 0) throw new Error(`subscription errors: ${JSON.stringify(errors)}`);
      return events;
    },
    stop,
  };
}
