import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import { createDatabase } from '../../src/db/pool.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { VERSION } from '../../src/lib/version.js';
import { DbDiagnosticsDocument, QueueStatusDocument, SystemInfoDocument } from '../../examples/generated/graphql.js';
import { randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { execute } from '../helpers/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';

let deps: Deps;
let app: App;
let reader: Record<string, string>;

beforeAll(async () => {
  deps = await createTestDeps();
  app = createApp(deps);
  reader = (await createKeyHeader(deps, 'reader')).headers;
});
afterAll(async () => deps.close());

describe('systemInfo', () => {
  it('reports the real version, database engine and transport modes', async () => {
    const { status, body } = await execute(app, SystemInfoDocument, {}, reader);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const info = body.data!.systemInfo;

    const { rows } = await deps.db.pool.query<{ server_version: string; ts: string | null }>(
      `SELECT current_setting('server_version') AS server_version,
              (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS ts`,
    );
    expect(info.version).toBe(VERSION);
    expect(info.embedded).toBe(false);
    expect(info.database.serverVersion).toBe(rows[0]!.server_version.split(' ')[0]);
    const timescale = process.env.TEST_TIMESCALEDB === '1';
    expect(info.database.timescaledb).toBe(timescale);
    expect(info.database.timescaledbVersion).toBe(timescale ? rows[0]!.ts : null);
    // TimescaleDB 2.28 (CI) takes refresh options: ingest refreshes its window in one pass.
    expect(deps.dialect.caggRefreshOptions).toBe(timescale);
    expect(info.queueMode).toBe(process.env.REDIS_URL ? 'BULLMQ' : 'IN_PROCESS');
    expect(info.pubsubMode).toBe(process.env.REDIS_URL ? 'REDIS' : 'IN_PROCESS');
  });
});

describe('health and readiness', () => {
  it('answers /health and /ready while the database is reachable', async () => {
    expect((await app.fetch('http://quantql.test/health')).status).toBe(200);
    expect((await app.fetch('http://quantql.test/ready')).status).toBe(200);
  });

  it('reports 503 with the reason on /ready when the database is unreachable, and keeps serving /health', async () => {
    // A real pool pointed at a port nothing listens on.
    const dead = createDatabase({ url: 'postgresql://nobody:x@127.0.0.1:1/none', max: 1, statementTimeoutMs: 1000 });
    const deadApp = createApp({ ...deps, db: dead });
    try {
      const ready = await deadApp.fetch('http://quantql.test/ready');
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { status: string; reason: string };
      expect(body.status).toBe('unavailable');
      expect(body.reason).toMatch(/^database unreachable: .*ECONNREFUSED/);
      expect((await deadApp.fetch('http://quantql.test/health')).status).toBe(200);
    } finally {
      await dead.pool.end();
    }
  });
});

describe('admin diagnostics', () => {
  it('queueStatus counts jobs by state; dbDiagnostics reads the statistics of this database (admin only)', async () => {
    const admin = (await createKeyHeader(deps, 'admin')).headers;
    const queue = (await execute(app, QueueStatusDocument, {}, admin)).body.data!.queueStatus;
    expect(queue.mode).toBe(process.env.REDIS_URL ? 'BULLMQ' : 'IN_PROCESS');
    for (const n of [queue.waiting, queue.active, queue.delayed, queue.failed]) expect(n).toBeGreaterThanOrEqual(0);

    await deps.services.marketData.ingestCandles({ symbol: uniqueName('DIAG'), baseInterval: '1h', candles: randomCandles(4, 24, Date.UTC(2024, 0, 1), 3_600_000) });
    const { body } = await execute(app, DbDiagnosticsDocument, {}, admin);
    expect(body.errors).toBeUndefined();
    const d = body.data!.dbDiagnostics;
    const timescale = process.env.TEST_TIMESCALEDB === '1';
    expect(d.dialect).toBe(timescale ? 'timescaledb' : 'portable');
    expect(d.aggregates.instruments).toBeGreaterThanOrEqual(1);
    if (timescale) expect(d.hypertables.find((h) => h.name === 'candle')!.chunks).toBeGreaterThanOrEqual(1);
    else expect(d.hypertables).toEqual([]);
    // Unused indexes: none is a primary key or unique constraint.
    expect(d.unusedIndexes.some((i) => i.index.endsWith('_pkey'))).toBe(false);

    for (const refused of [await execute(app, QueueStatusDocument, {}, reader), await execute(app, DbDiagnosticsDocument, {}, reader)]) {
      expect(refused.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    }
  });
});
