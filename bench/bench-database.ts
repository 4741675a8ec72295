import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config/env.js';
import { ensureEmbedded } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createRuntime, type Runtime } from '../src/deps.js';
import type { Candles } from '../src/engine/index.js';
import { generateRandomWalkCandles } from '../src/engine/testing/synthetic-candles.js';
import { createLogger } from '../src/lib/logger.js';

/**
 * A fresh, migrated database named `quantql_bench_<name>_<pid>` on the server at `adminUrl`
 * (any database URL of that server), or on a throw-away embedded PostgreSQL when it is null.
 * `run` gets its URL; the database (and an embedded server) is gone afterwards.
 */
export async function withBenchDatabase<T>(
  name: string,
  adminUrl: string | null,
  run: (url: string) => Promise<T>,
  options: { timescaledb?: 'auto' | 'off' } = {},
): Promise<T> {
  let cleanup = async () => {};
  if (!adminUrl) {
    const root = await mkdtemp(join(tmpdir(), 'quantql-bench-'));
    await chmod(root, 0o755);
    const embedded = await ensureEmbedded({ dataDir: join(root, 'pg') });
    adminUrl = embedded.url.replace(/\/[^/]+$/, '/postgres');
    cleanup = async () => {
      await embedded.stop();
      await rm(root, { recursive: true, force: true });
    };
  }
  const db = `quantql_bench_${name}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`CREATE DATABASE ${db}`);
    const url = adminUrl.replace(/\/[^/?]+(\?.*)?$/, `/${db}`);
    await migrate({ url, timescaledb: options.timescaledb });
    return await run(url);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    await cleanup();
  }
}

/** A runtime for the bench itself: no Redis, anonymous reads, silent. Closed after `run`. */
export async function withBenchRuntime<T>(url: string, run: (deps: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig({ DATABASE_URL: url, DATABASE_MIGRATE_ON_START: 'false', LOG_LEVEL: 'silent', AUTH_ANONYMOUS_READ: 'true' });
  const deps = await createRuntime(config, createLogger('silent'), { url, embedded: null });
  try {
    return await run(deps);
  } finally {
    await deps.close();
  }
}

/**
 * A fresh, migrated database and a runtime on it: on the server of DATABASE_URL when set
 * (e.g. the TimescaleDB cluster), else on a throw-away embedded PostgreSQL. Dropped afterwards.
 */
export async function withBenchDeps<T>(name: string, run: (deps: Runtime) => Promise<T>): Promise<T> {
  return withBenchDatabase(name, process.env.DATABASE_URL ?? null, (url) =>
    withBenchRuntime(url, async (deps) => {
      console.log(`database: ${process.env.DATABASE_URL ? 'DATABASE_URL server' : 'embedded PostgreSQL'}, ${describeDialect(deps)}`);
      return run(deps);
    }),
  );
}

export function describeDialect(deps: Runtime): string {
  return `${deps.dialect.timescaledb ? `TimescaleDB ${deps.dialect.timescaledbVersion}` : 'portable'} on PostgreSQL ${deps.dialect.serverVersion}`;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Deterministic 1-minute random walk (no Math.random: figures are comparable between runs). */
export function minuteSeries(n: number, startMs: number) {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const c = { time: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) };
  let p = 100;
  for (let i = 0; i < n; i++) {
    const o = p;
    const cl = Math.max(0.01, o * (1 + (rnd() - 0.5) * 0.004));
    c.time[i] = startMs + i * 60_000;
    c.open[i] = o;
    c.close[i] = cl;
    c.high[i] = Math.max(o, cl) * (1 + rnd() * 0.001);
    c.low[i] = Math.min(o, cl) * (1 - rnd() * 0.001);
    c.volume[i] = rnd() * 100;
    p = cl;
  }
  return c;
}

/** Symbol number `i`'s hourly bars: a random walk seeded by `i`, volatility varying by symbol. */
export function seededHourlyCandles(i: number, bars: number, startMs: number): Candles {
  return generateRandomWalkCandles(bars, 1_000 + i, { startTime: startMs, barMs: 3_600_000, volatility: 0.004 + (i % 7) * 0.001 });
}
