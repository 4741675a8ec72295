import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config/env.js';
import { ensureEmbedded } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createRuntime, type Runtime } from '../src/deps.js';
import { createLogger } from '../src/lib/logger.js';

/**
 * A fresh, migrated database for a bench: on the server of DATABASE_URL when set (e.g. the
 * TimescaleDB cluster), else on a throw-away embedded PostgreSQL. Dropped afterwards.
 */
export async function withBenchDeps<T>(name: string, run: (deps: Runtime) => Promise<T>): Promise<T> {
  let adminUrl = process.env.DATABASE_URL;
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
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${db}`);
  await admin.query(`CREATE DATABASE ${db}`);
  const url = adminUrl.replace(/\/[^/]+$/, `/${db}`);
  await migrate({ url });
  const config = loadConfig({ DATABASE_URL: url, DATABASE_MIGRATE_ON_START: 'false', LOG_LEVEL: 'silent', AUTH_ANONYMOUS_READ: 'true' });
  const deps = await createRuntime(config, createLogger('silent'), { url, embedded: null });
  try {
    console.log(`database: ${process.env.DATABASE_URL ? 'DATABASE_URL server' : 'embedded PostgreSQL'}, ${deps.dialect.timescaledb ? `TimescaleDB ${deps.dialect.timescaledbVersion}` : 'portable'} on PostgreSQL ${deps.dialect.serverVersion}`);
    return await run(deps);
  } finally {
    await deps.close();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    await cleanup();
  }
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
