import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { defaultMigrationsDir, migrate, MigrationError } from '../../src/db/migrate.js';
import { createPrisma } from '../../src/db/prisma.js';
import { dropDatabase, withDatabase } from '../setup/test-databases.js';

const adminUrl = process.env.TEST_ADMIN_DATABASE_URL!;
const created: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = `qq_mig_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  created.push(name);
  return withDatabase(adminUrl, name);
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function copyMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'quantql-migrations-'));
  await cp(defaultMigrationsDir, dir, { recursive: true });
  return dir;
}

afterAll(async () => {
  for (const name of created) await dropDatabase(adminUrl, name).catch(() => undefined);
});

describe('migration runner', () => {
  it('applies every migration in order and records it as prisma migrate deploy does', async () => {
    const url = await freshDatabase();
    const names = (await readdir(defaultMigrationsDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const result = await migrate({ url });
    expect(result.applied).toEqual(names);

    const rows = await query<{
      migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null; applied_steps_count: number; id: string;
    }>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name');
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    for (const row of rows) {
      const file = await readFile(join(defaultMigrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }

    const again = await migrate({ url });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(names);
  });

  it('produces a schema the generated Prisma client can use for every model', async () => {
    const url = await freshDatabase();
    await migrate({ url });
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const prisma = createPrisma(pool);
    try {
      const instrument = await prisma.instrument.create({ data: { symbol: 'MIGTEST', name: 'Migration test', baseInterval: '1h' } });
      await prisma.candle.create({
        data: { instrumentId: instrument.id, ts: new Date('2024-01-01T00:00:00Z'), open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 },
      });
      const strategy = await prisma.strategy.create({ data: { owner: 'o', name: 's', kind: 'SMA_CROSSOVER', parameters: { fast: 5, slow: 20 } } });
      const batch = await prisma.backtestBatch.create({
        data: { owner: 'o', strategyId: strategy.id, symbols: ['MIGTEST'], interval: '1h', from: new Date(0), to: new Date(1), config: {}, total: 1 },
      });
      const backtest = await prisma.backtest.create({
        data: {
          owner: 'o', strategyId: strategy.id, batchId: batch.id, instrumentId: instrument.id, symbol: 'MIGTEST', interval: '1h',
          from: new Date(0), to: new Date(1), config: {}, cacheKey: 'k',
        },
      });
      await prisma.trade.create({
        data: {
          backtestId: backtest.id, seq: 0, side: 'LONG', entryTime: new Date(0), entryPrice: 1, exitTime: new Date(1), exitPrice: 2,
          quantity: 1, pnl: 1, returnPct: 1, fees: 0, barsHeld: 1,
        },
      });
      await prisma.apiKey.create({ data: { owner: 'o', role: 'admin', prefix: 'abcdefgh', keyHash: 'h' } });
      const read = await prisma.backtest.findUniqueOrThrow({ where: { id: backtest.id }, include: { trades: true, batch: true } });
      expect(read.trades).toHaveLength(1);
      expect(read.batch!.symbols).toEqual(['MIGTEST']);
      expect(read.status).toBe('QUEUED');
      expect(read.progress).toBe(0);
      const candle = await prisma.candle.findFirstOrThrow({ where: { instrumentId: instrument.id } });
      expect(candle.ts.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    } finally {
      await prisma.$disconnect();
      await pool.end();
    }
  });

  it('serialises concurrent runs: each migration is applied exactly once', async () => {
    const url = await freshDatabase();
    const results = await Promise.all([migrate({ url }), migrate({ url }), migrate({ url })]);
    const appliedCounts = results.map((r) => r.applied.length).sort();
    const total = results[0]!.applied.length + results[0]!.alreadyApplied.length;
    expect(appliedCounts).toEqual([0, 0, total]);
    const rows = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM "_prisma_migrations"');
    expect(Number(rows[0]!.n)).toBe(total);
  });

  it('refuses to run when an applied migration file was edited, and changes nothing', async () => {
    const url = await freshDatabase();
    const dir = await copyMigrations();
    await migrate({ url, migrationsDir: dir });
    const first = (await readdir(dir)).filter((n) => /^\d/.test(n)).sort()[0]!;
    await writeFile(join(dir, first, 'migration.sql'), `${await readFile(join(dir, first, 'migration.sql'), 'utf8')}\n-- edited\n`);
    await mkdir(join(dir, '29990101000000_later'));
    await writeFile(join(dir, '29990101000000_later', 'migration.sql'), 'CREATE TABLE should_not_exist (id int);');

    await expect(migrate({ url, migrationsDir: dir })).rejects.toThrow(MigrationError);
    await expect(migrate({ url, migrationsDir: dir })).rejects.toThrow(/was modified after it was applied/);
    const rows = await query<{ t: string | null }>(url, `SELECT to_regclass('should_not_exist')::text AS t`);
    expect(rows[0]!.t).toBeNull();
  });

  it('rolls a failing migration back completely, records the error, and retries it once fixed', async () => {
    const url = await freshDatabase();
    const dir = await copyMigrations();
    const name = '29990101000000_broken';
    await mkdir(join(dir, name));
    await writeFile(join(dir, name, 'migration.sql'), 'CREATE TABLE half_done (id int);\nSELECT 1 / 0;\n');

    await expect(migrate({ url, migrationsDir: dir })).rejects.toThrow(/29990101000000_broken failed: division by zero/);
    expect((await query<{ t: string | null }>(url, `SELECT to_regclass('half_done')::text AS t`))[0]!.t).toBeNull();
    const failed = await query<{ logs: string; rolled_back_at: Date | null; finished_at: Date | null }>(
      url,
      `SELECT logs, rolled_back_at, finished_at FROM "_prisma_migrations" WHERE migration_name = '${name}'`,
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]!.logs).toMatch(/division by zero/);
    expect(failed[0]!.rolled_back_at).toBeInstanceOf(Date);
    expect(failed[0]!.finished_at).toBeNull();

    await writeFile(join(dir, name, 'migration.sql'), 'CREATE TABLE half_done (id int);\n');
    const fixed = await migrate({ url, migrationsDir: dir });
    expect(fixed.applied).toEqual([name]);
    expect((await query<{ t: string | null }>(url, `SELECT to_regclass('half_done')::text AS t`))[0]!.t).toBe('half_done');
  });

  it('runs a migration marked quantql:no-transaction outside a transaction (CREATE INDEX CONCURRENTLY)', async () => {
    const url = await freshDatabase();
    const dir = await copyMigrations();
    const name = '29990101000000_concurrent_index';
    await mkdir(join(dir, name));
    await writeFile(
      join(dir, name, 'migration.sql'),
      '-- quantql:no-transaction\nCREATE INDEX CONCURRENTLY strategy_name_idx ON strategy (name);\n',
    );
    const result = await migrate({ url, migrationsDir: dir });
    expect(result.applied).toContain(name);
    expect((await query<{ t: string | null }>(url, `SELECT to_regclass('strategy_name_idx')::text AS t`))[0]!.t).toBe('strategy_name_idx');
  });
});

describe('dialects', () => {
  const timescale = process.env.TEST_TIMESCALEDB === '1';

  it('builds the portable dialect when TimescaleDB is off: SQL time_bucket/first/last and candle_1h/candle_1d tables', async () => {
    const url = await freshDatabase();
    await migrate({ url, timescaledb: 'off' });
    const rows = await query<{ relname: string; relkind: string }>(
      url,
      `SELECT relname, relkind::text FROM pg_class WHERE relname IN ('candle_1h', 'candle_1d') ORDER BY relname`,
    );
    expect(rows).toEqual([
      { relname: 'candle_1d', relkind: 'r' },
      { relname: 'candle_1h', relkind: 'r' },
    ]);
    const ext = await query(url, `SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`);
    expect(ext).toHaveLength(0);
  });

  (timescale ? it : it.skip)('builds the TimescaleDB dialect: hypertable, compression, real-time continuous aggregates with policies', async () => {
    const url = await freshDatabase();
    await migrate({ url, timescaledb: 'on' });
    const hyper = await query<{ hypertable_name: string; compression_enabled: boolean }>(
      url,
      `SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables`,
    );
    expect(hyper).toEqual([{ hypertable_name: 'candle', compression_enabled: true }]);
    const caggs = await query<{ view_name: string; materialized_only: boolean }>(
      url,
      `SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates ORDER BY view_name`,
    );
    expect(caggs).toEqual([
      { view_name: 'candle_1d', materialized_only: false },
      { view_name: 'candle_1h', materialized_only: false },
    ]);
    const jobs = await query<{ proc_name: string; hypertable_name: string }>(
      url,
      `SELECT proc_name, hypertable_name FROM timescaledb_information.jobs WHERE proc_name IN ('policy_compression', 'policy_refresh_continuous_aggregate') ORDER BY proc_name, hypertable_name`,
    );
    expect(jobs.map((j) => j.proc_name)).toEqual(['policy_compression', 'policy_refresh_continuous_aggregate', 'policy_refresh_continuous_aggregate']);
    const settings = await query<{ segmentby: string; orderby: string }>(
      url,
      `SELECT string_agg(attname, ',') FILTER (WHERE segmentby_column_index IS NOT NULL) AS segmentby,
              string_agg(attname, ',') FILTER (WHERE orderby_column_index IS NOT NULL) AS orderby
       FROM timescaledb_information.compression_settings WHERE hypertable_name = 'candle'`,
    );
    expect(settings[0]).toEqual({ segmentby: 'instrument_id', orderby: 'ts' });
  });

  // Only observable on a server without the extension (the embedded path).
  (timescale ? it.skip : it)('fails clearly when TimescaleDB is required but unavailable', async () => {
    const url = await freshDatabase();
    await expect(migrate({ url, timescaledb: 'on' })).rejects.toThrow(/TimescaleDB was required/);
  });
});
