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
        data: { owner: 'o', strategyId: strategy.id, strategyKind: 'SMA_CROSSOVER', parameters: { fast: 5, slow: 20 }, symbols: ['MIGTEST'], interval: '1h', from: new Date(0), to: new Date(1), config: {}, total: 1 },
      });
      const backtest = await prisma.backtest.create({
        data: {
          owner: 'o', strategyId: strategy.id, strategyKind: 'SMA_CROSSOVER', parameters: { fast: 5, slow: 20 }, batchId: batch.id, instrumentId: instrument.id, symbol: 'MIGTEST', interval: '1h',
          from: new Date(0), to: new Date(1), config: {}, cacheKey: 'k',
        },
      });
      await prisma.backtestResult.create({
        data: { backtestId: backtest.id, tradeCount: 1, tradeColumns: new Uint8Array(80), equityColumns: new Uint8Array(24) },
      });
      await prisma.candleBlock.create({
        data: { instrumentId: instrument.id, field: 1, blockStart: new Date(0), barCount: 1, firstTs: new Date(0), lastTs: new Date(0), highMax: 1, lowMin: 1, bytes: new Uint8Array(8) },
      });
      await prisma.apiKey.create({ data: { owner: 'o', role: 'admin', prefix: 'abcdefgh', keyHash: 'h' } });
      const read = await prisma.backtest.findUniqueOrThrow({ where: { id: backtest.id }, include: { result: true, batch: true } });
      expect(read.result!.tradeCount).toBe(1);
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

  it('converts data stored by earlier migrations: trades and equity curves packed, candle blocks backfilled', async () => {
    const url = await freshDatabase();
    // The schema as the backtest_runs migration left it, with a finished backtest in it.
    const before = await mkdtemp(join(tmpdir(), 'quantql-migrations-'));
    for (const name of (await readdir(defaultMigrationsDir)).filter((n) => n <= '20261123110000_backtest_runs')) {
      await cp(join(defaultMigrationsDir, name), join(before, name), { recursive: true });
    }
    await migrate({ url, migrationsDir: before, timescaledb: 'off' });
    await query(url, `
      INSERT INTO instrument (id, symbol, name, base_interval) VALUES (1, 'OLD', 'Old', '1h');
      INSERT INTO candle (instrument_id, ts, open, high, low, close, volume)
        SELECT 1, timestamptz '2024-01-01' + g * interval '1 hour', 100 + g, 101 + g, 99 + g, 100.5 + g, g * 0.1 FROM generate_series(0, 2999) g WHERE g <> 1500;
      INSERT INTO strategy (id, owner, name, kind, parameters, updated_at) VALUES ('00000000-0000-0000-0000-000000000001', 'o', 's', 'SMA_CROSSOVER', '{}', now());
      INSERT INTO backtest (id, owner, strategy_id, instrument_id, symbol, interval, from_ts, to_ts, config, cache_key, status, equity_curve)
        VALUES ('00000000-0000-0000-0000-0000000000b1', 'o', '00000000-0000-0000-0000-000000000001', 1, 'OLD', '1h', now(), now(), '{}', 'k', 'COMPLETED',
                '{"time": [1704067200000, 1704070800000], "equity": [10000, 10250.5], "drawdown": [0, -0.125]}');
      INSERT INTO trade (backtest_id, seq, side, entry_time, entry_price, exit_time, exit_price, quantity, pnl, return_pct, fees, bars_held) VALUES
        ('00000000-0000-0000-0000-0000000000b1', 1, 'SHORT', '2024-01-02T00:00:00Z', 105, '2024-01-02T03:00:00Z', 103, 2, 4, 0.019, 0.5, 3),
        ('00000000-0000-0000-0000-0000000000b1', 0, 'LONG', '2024-01-01T01:00:00Z', 101, '2024-01-01T05:00:00Z', 104.25, 1.5, 4.875, 0.032, 0.25, 4);
    `);
    await migrate({ url, timescaledb: 'off' });

    const [result] = await query<{ trade_count: number; trade_columns: Buffer; equity_columns: Buffer }>(url, `SELECT * FROM backtest_result`);
    expect(result!.trade_count).toBe(2);
    const { unpackTrades, unpackEquity } = await import('../../src/modules/backtests/result-columns.js');
    expect(unpackTrades(result!.trade_columns, 2, 0, 10)).toEqual([
      { seq: 0, side: 'LONG', entryTime: new Date('2024-01-01T01:00:00Z'), entryPrice: 101, exitTime: new Date('2024-01-01T05:00:00Z'), exitPrice: 104.25, quantity: 1.5, pnl: 4.875, returnPct: 0.032, fees: 0.25, barsHeld: 4 },
      { seq: 1, side: 'SHORT', entryTime: new Date('2024-01-02T00:00:00Z'), entryPrice: 105, exitTime: new Date('2024-01-02T03:00:00Z'), exitPrice: 103, quantity: 2, pnl: 4, returnPct: 0.019, fees: 0.5, barsHeld: 3 },
    ]);
    const curve = unpackEquity(result!.equity_columns);
    expect([Array.from(curve.time), Array.from(curve.equity), Array.from(curve.drawdown)]).toEqual([[1704067200000, 1704070800000], [10000, 10250.5], [0, -0.125]]);
    expect(await query(url, `SELECT to_regclass('trade') AS t`)).toEqual([{ t: null }]);
    // 3,000 hourly bars from 2024-01-01 but one (hour 1,500): blocks of the 960-hour grid, a row
    // per price column (open … volume), and a time row only for the block with the gap.
    const blocks = await query<{ field: number; bar_count: number; bytes: number }>(url, `SELECT field, bar_count, length(bytes) AS bytes FROM candle_block ORDER BY field, block_start`);
    expect([...new Set(blocks.map((b) => b.field))]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(blocks.filter((b) => b.field === 1).map((b) => b.bar_count)).toEqual([888, 959, 960, 192]);
    expect(blocks.filter((b) => b.field === 0).map((b) => b.bar_count)).toEqual([959]);
    const [time] = await query<{ bytes: Buffer }>(url, `SELECT bytes FROM candle_block WHERE field = 0`);
    // Hour 1,500 is the 612th of its block (888 + 612): hours 1,499 and 1,501 are neighbours.
    expect([time!.bytes.readDoubleBE(611 * 8), time!.bytes.readDoubleBE(612 * 8)]).toEqual([Date.UTC(2024, 0, 1) + 1499 * 3_600_000, Date.UTC(2024, 0, 1) + 1501 * 3_600_000]);
    expect(blocks.every((b) => b.bytes === b.bar_count * 8)).toBe(true);
    const [last] = await query<{ n: number; bytes: Buffer }>(url, `SELECT bar_count AS n, bytes FROM candle_block WHERE field = 4 ORDER BY block_start DESC LIMIT 1`);
    // The last bar's close.
    expect(last!.bytes.readDoubleBE((last!.n - 1) * 8)).toBe(100.5 + 2999);
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
