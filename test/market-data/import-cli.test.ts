/**
 * `npm run import` and `npm run seed` as real processes against the test database: each
 * CSV shape lands with the file's values, bad files are rejected whole with every problem
 * by file line, and both commands are idempotent.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Runtime as Deps } from '../../src/deps.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { ROOT } from '../helpers/processes.js';
import { createMigratedDatabase, dropDatabase } from '../setup/test-databases.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');
const H = 3_600_000;
const D = 24 * H;
const JAN2 = Date.UTC(2024, 0, 2);

/** The three candles every shape fixture holds. */
const VALUES = {
  open: [100, 101.5, 103],
  high: [102, 104, 103.5],
  low: [99.5, 100.5, 101],
  close: [101.5, 103, 102],
  volume: [1000, 1200, 900],
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a CLI entry (through tsx, as `npm run` does) with only the given environment; stdin
 * is the named file when given (for `-`), else closed.
 */
function runCliProcess(entry: string, args: string[], env: Record<string, string>, stdinFile?: string): Promise<Run> {
  const stdin = stdinFile ? openSync(stdinFile, 'r') : 'ignore';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  if (typeof stdin === 'number') closeSync(stdin); // the child has its own copy
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const dbEnv = (url = process.env.TEST_DATABASE_URL!) => ({
  DATABASE_URL: url,
  DATABASE_MIGRATE_ON_START: 'false',
  LOG_LEVEL: 'warn',
});

const runImport = (args: string[], stdinFile?: string) => runCliProcess('src/cli/import.cli.ts', args, dbEnv(), stdinFile);

let deps: Deps;

beforeAll(async () => {
  deps = await createTestDeps();
});

afterAll(async () => {
  await deps.close();
});

async function storedCandles(symbol: string) {
  const { rows } = await deps.db.pool.query<{ t: number; open: number; high: number; low: number; close: number; volume: number }>(
    `/* importCliTestCandles */
     SELECT (EXTRACT(EPOCH FROM c.ts) * 1000)::float8 AS t, c.open, c.high, c.low, c.close, c.volume
     FROM candle c JOIN instrument i ON i.id = c.instrument_id
     WHERE i.symbol = $1
     ORDER BY c.ts`,
    [symbol],
  );
  return rows;
}

async function candleCount(symbol: string): Promise<number> {
  const { rows } = await deps.db.pool.query<{ n: number }>(
    `/* importCliTestCount */
     SELECT count(*)::int AS n FROM candle c JOIN instrument i ON i.id = c.instrument_id WHERE i.symbol = $1`,
    [symbol],
  );
  return rows[0]!.n;
}

describe('npm run import', () => {
  it.each([
    ['header in any order and case, extra columns', 'candles-header-any-order.csv', '1d', [JAN2, JAN2 + D, JAN2 + 2 * D]],
    ["pandas' unnamed index column", 'candles-pandas-index.csv', '1h', [JAN2, JAN2 + H, JAN2 + 2 * H]],
    ['epoch seconds, BOM, CRLF, blank trailing lines', 'candles-epoch-seconds.csv', '1h', [JAN2, JAN2 + H, JAN2 + 2 * H]],
    ['epoch milliseconds', 'candles-epoch-ms.csv', '1h', [JAN2, JAN2 + H, JAN2 + 2 * H]],
    ['ISO 8601 with offsets, quoted fields, adj close', 'candles-iso-offset.csv', '1h', [JAN2, JAN2 + H, JAN2 + 2 * H]],
  ])('imports %s with the values of the file', async (_shape, file, interval, times) => {
    const symbol = uniqueName('IMP');
    const run = await runImport(['--symbol', symbol, '--interval', interval, '--name', 'Import Test', join(FIXTURES, file)]);
    expect(run.stderr).toBe(''); // no TTY: no progress output
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`${symbol} ${interval} from .*${file}: 3 rows read, 3 inserted, 0 updated, 0 unchanged in [\\d.]+ s \\(\\d+ rows/s\\)`));
    const rows = await storedCandles(symbol);
    expect(rows.map((r) => r.t)).toEqual(times);
    for (const [field, values] of Object.entries(VALUES)) {
      expect(rows.map((r) => r[field as keyof typeof VALUES])).toEqual(values);
    }
  });

  it('reads standard input with -', async () => {
    const symbol = uniqueName('STDIN');
    const run = await runImport(['--symbol', symbol, '--interval', '1h', '-'], join(FIXTURES, 'candles-epoch-ms.csv'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/from standard input: 3 rows read, 3 inserted/);
    expect((await storedCandles(symbol)).map((r) => r.close)).toEqual(VALUES.close);
  });

  it('is idempotent: the same file twice inserts nothing the second time', async () => {
    const symbol = uniqueName('IDEM');
    const args = ['--symbol', symbol, '--interval', '1h', join(FIXTURES, 'candles-pandas-index.csv')];
    expect((await runImport(args)).stdout).toMatch(/3 rows read, 3 inserted, 0 updated, 0 unchanged/);
    const second = await runImport(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/3 rows read, 0 inserted, 0 updated, 3 unchanged/);
    expect(await candleCount(symbol)).toBe(3);
  });

  it('rejects a file with unreadable and invalid rows whole, listing every problem by line', async () => {
    const symbol = uniqueName('BAD');
    const run = await runImport(['--symbol', symbol, '--interval', '1d', join(FIXTURES, 'candles-bad-rows.csv')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/candles-bad-rows\.csv rejected, nothing was written \(6 problems\):/);
    const listed = run.stderr.split('\n').filter((l) => l.startsWith('  line '));
    expect(listed).toEqual([
      '  line 3, open: "abc" is not a number',
      '  line 4, high: 101 is below max(open, close) = 103',
      expect.stringMatching(/^ {2}line 5, time: "2024-13-05" is not a time/),
      '  line 6, columns: has 5 fields, the header has 6',
      '  line 7, low: 104 is above min(open, close) = 102',
      '  line 8, volume: must not be negative',
    ]);
    expect(await candleCount(symbol)).toBe(0);
  });

  it('maps ingest rejections (high, duplicate, alignment) back to file lines, writing nothing', async () => {
    const symbol = uniqueName('BADV');
    const run = await runImport(['--symbol', symbol, '--interval', '1d', join(FIXTURES, 'candles-bad-values.csv')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rejected, nothing was written \(3 problems\)/);
    expect(run.stderr).toMatch(/ {2}line 3, high: 101 is below max\(open, close\) = 103\n/);
    expect(run.stderr).toMatch(/ {2}line 4, time: duplicates the time of line 2 \(2024-01-02T00:00:00.000Z\)\n/);
    expect(run.stderr).toMatch(/ {2}line 5, time: 2024-01-05T12:00:00.000Z is not aligned to the 1d grid/);
    expect(await candleCount(symbol)).toBe(0);
    const { rows } = await deps.db.pool.query(`/* importCliTestInstrument */ SELECT 1 FROM instrument WHERE symbol = $1`, [symbol]);
    expect(rows).toHaveLength(0);
  });

  it('prints usage for bad arguments and a clear line for a missing file', async () => {
    const noFile = await runImport(['--symbol', 'ABC', '--interval', '1h']);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/the CSV file \(or - for standard input\) is required/);
    expect(noFile.stderr).toMatch(/usage: npm run import -- --symbol <SYMBOL> --interval/);
    const bad = await runImport(['--symbol', 'btc usd', '--interval', '1M', 'x.csv']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--symbol "btc usd": upper-case letters/);
    expect(bad.stderr).toMatch(/--interval 1M: must be a fixed-length interval/);
    const missing = await runImport(['--symbol', 'ABC', '--interval', '1h', join(FIXTURES, 'does-not-exist.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*does-not-exist\.csv: no such file/);
    // Issue 13, finding 14: a directory is named as one, not a raw EISDIR.
    const directory = await runImport(['--symbol', 'ABC', '--interval', '1h', FIXTURES]);
    expect(directory.code).toBe(1);
    expect(directory.stderr).toMatch(/cannot read .*fixtures: it is a directory; give a CSV file/);
    expect(directory.stderr).not.toMatch(/EISDIR|at .*\.ts:\d+/);
  });
});

describe('npm run seed', () => {
  // The demo symbols are fixed (BTCUSD, …), so the seed runs in a database of its own.
  const name = `quantql_test_seed_${process.pid}_${Date.now().toString(36)}`;
  let url: string;

  beforeAll(async () => {
    url = await createMigratedDatabase(process.env.TEST_ADMIN_DATABASE_URL!, name, 'auto');
  });

  afterAll(async () => {
    await dropDatabase(process.env.TEST_ADMIN_DATABASE_URL!, name);
  });

  it('seeds deterministic demo data, and a second run with the same seed changes nothing', async () => {
    const args = ['--seed', '7', '--years', '0.1', '--interval', '1h', '--symbols', '3'];
    const first = await runCliProcess('src/cli/seed.cli.ts', args, dbEnv(url));
    expect(first.code).toBe(0);
    // 0.1 years = 37 days of hourly bars for each of 3 instruments.
    expect(first.stdout).toMatch(/seed: 3 instruments, 2664 candles \(seed 7\): 2664 inserted, 0 updated in [\d.]+ s/);
    const second = await runCliProcess('src/cli/seed.cli.ts', args, dbEnv(url));
    expect(second.code).toBe(0);
    // A bar completing between the runs would add one per instrument; none may change.
    expect(second.stdout).toMatch(/seed: 3 instruments, 2664 candles \(seed 7\): [03] inserted, 0 updated/);
  });

  it('rejects bad options with the usage', async () => {
    const run = await runCliProcess('src/cli/seed.cli.ts', ['--symbols', 'many'], dbEnv(url));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--symbols "many": expected a whole number/);
    expect(run.stderr).toMatch(/usage: npm run seed/);
  });
});
