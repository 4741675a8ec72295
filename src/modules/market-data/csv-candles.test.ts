/**
 * CSV reading, one case per accepted shape (the fixtures the import CLI test also uses),
 * plus the time and number rules. No database.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseCandleCsv, parseCsvNumber, parseCsvTime } from './csv-candles.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures');
const fixture = (name: string) => readFile(join(FIXTURES, name), 'utf8');

const H = 3_600_000;
const JAN2 = Date.UTC(2024, 0, 2);

/** The same three candles every shape fixture holds (times differ by shape). */
const VALUES = {
  open: [100, 101.5, 103],
  high: [102, 104, 103.5],
  low: [99.5, 100.5, 101],
  close: [101.5, 103, 102],
  volume: [1000, 1200, 900],
};

function expectValues(parsed: Awaited<ReturnType<typeof parseCandleCsv>>) {
  expect(parsed.issues).toEqual([]);
  expect(parsed.rowsRead).toBe(3);
  for (const [field, values] of Object.entries(VALUES)) {
    expect(Array.from(parsed.candles[field as keyof typeof VALUES])).toEqual(values);
  }
}

describe('parseCandleCsv shapes', () => {
  it('reads a header in any order and case, with quotes, spaces and extra columns', async () => {
    const parsed = await parseCandleCsv(await fixture('candles-header-any-order.csv'));
    expectValues(parsed);
    expect(Array.from(parsed.candles.time)).toEqual([JAN2, JAN2 + 24 * H, JAN2 + 48 * H]);
    expect(Array.from(parsed.lines)).toEqual([2, 3, 4]);
  });

  it("reads pandas' to_csv shape (unnamed first column holding the time)", async () => {
    const parsed = await parseCandleCsv(await fixture('candles-pandas-index.csv'));
    expectValues(parsed);
    expect(Array.from(parsed.candles.time)).toEqual([JAN2, JAN2 + H, JAN2 + 2 * H]);
  });

  it.each([['""'], ['Unnamed: 0']])('accepts %s as the unnamed index header', async (cell) => {
    const parsed = await parseCandleCsv(`${cell},open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,10\n`);
    expect(parsed.issues).toEqual([]);
    expect(Array.from(parsed.candles.time)).toEqual([JAN2]);
  });

  it('reads epoch seconds, with a BOM, CRLF and blank trailing lines', async () => {
    const parsed = await parseCandleCsv(await fixture('candles-epoch-seconds.csv'));
    expectValues(parsed);
    expect(Array.from(parsed.candles.time)).toEqual([JAN2, JAN2 + H, JAN2 + 2 * H]);
  });

  it('reads epoch milliseconds', async () => {
    const parsed = await parseCandleCsv(await fixture('candles-epoch-ms.csv'));
    expectValues(parsed);
    expect(Array.from(parsed.candles.time)).toEqual([JAN2, JAN2 + H, JAN2 + 2 * H]);
  });

  it('converts ISO offsets to UTC, reads quoted fields, and prefers close over adj close', async () => {
    const parsed = await parseCandleCsv(await fixture('candles-iso-offset.csv'));
    expectValues(parsed);
    expect(Array.from(parsed.candles.time)).toEqual([JAN2, JAN2 + H, JAN2 + 2 * H]);
  });

  it('uses adj close when there is no close column', async () => {
    const parsed = await parseCandleCsv('date,open,high,low,adj_close,volume\n2024-01-02,1,2,0.5,1.25,10\n');
    expect(parsed.issues).toEqual([]);
    expect(Array.from(parsed.candles.close)).toEqual([1.25]);
  });

  it('streams from an async iterable of chunks split anywhere', async () => {
    const parsed = await parseCandleCsv(createReadStream(join(FIXTURES, 'candles-epoch-ms.csv'), { highWaterMark: 7 }));
    expectValues(parsed);
  });

  it('reports progress by rows read', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `${JAN2 / 1000 + i * 3600},1,2,0.5,1.5,10`).join('\n');
    const seen: number[] = [];
    const parsed = await parseCandleCsv(`time,open,high,low,close,volume\n${rows}\n`, {
      progressEvery: 10,
      onProgress: (n) => seen.push(n),
    });
    expect(parsed.rowsRead).toBe(25);
    expect(seen).toEqual([10, 20, 25]);
  });
});

describe('parseCandleCsv problems', () => {
  it('lists every unreadable row by file line, and leaves those rows out', async () => {
    const parsed = await parseCandleCsv(await fixture('candles-bad-rows.csv'));
    expect(parsed.rowsRead).toBe(7);
    expect(parsed.issues.map((i) => i.path)).toEqual([
      ['row', '3', 'open'],
      ['row', '5', 'time'],
      ['row', '6', 'columns'],
    ]);
    expect(parsed.issues[0]!.message).toBe('"abc" is not a number');
    expect(parsed.issues[2]!.message).toBe('has 5 fields, the header has 6');
    // Business rules (high < max(open, close), negative volume) are ingestCandles' to report.
    expect(Array.from(parsed.lines)).toEqual([2, 4, 7, 8]);
  });

  it('counts file lines across blank lines, CRLF and quoted fields spanning lines', async () => {
    const text = 'time,note,open,high,low,close,volume\r\n\r\n2024-01-02,"two\r\nlines",1,2,0.5,1.5,10\r\n   \r\n2024-01-03,x,1,2,0.5,bad,10\r\n';
    const parsed = await parseCandleCsv(text);
    expect(Array.from(parsed.lines)).toEqual([3]);
    expect(parsed.issues.map((i) => i.path)).toEqual([['row', '6', 'close']]);
  });

  it('names every missing column in one header issue', async () => {
    const parsed = await parseCandleCsv('when,open,high,close\n2024-01-02,1,2,1.5\n');
    expect(parsed.issues).toHaveLength(1);
    expect(parsed.issues[0]!.path).toEqual(['header']);
    expect(parsed.issues[0]!.message).toMatch(/missing a time column .*, low, volume; found columns "when", "open", "high", "close"/);
    expect(parsed.rowsRead).toBe(1);
    expect(parsed.candles.time).toHaveLength(0);
  });

  it('rejects two time columns (issue 13, finding 14): which one holds the bar is not guessed', async () => {
    const parsed = await parseCandleCsv('date,time,open,high,low,close,volume\n2024-01-02,2024-01-03T00:00:00Z,1,2,0.5,1.5,10\n');
    expect(parsed.issues).toEqual([
      expect.objectContaining({ path: ['header'], message: expect.stringContaining('a single time column (found "date", "time": keep one)') }),
    ]);
    expect(parsed.rowsRead).toBe(1);
    expect(parsed.candles.time).toHaveLength(0);
  });

  it('rejects a duplicated value column and an empty file', async () => {
    const dup = await parseCandleCsv('time,open,Open,high,low,close,volume\n');
    expect(dup.issues[0]!.message).toMatch(/a single open column/);
    const empty = await parseCandleCsv('\n\n');
    expect(empty.issues).toEqual([{ path: ['header'], message: expect.stringMatching(/the file is empty/) }]);
  });

  it('reports a malformed quote with its line, after the problems of the rows before it', async () => {
    const parsed = await parseCandleCsv(
      'time,open,high,low,close,volume\n2024-01-02,1,2,0.5,zz,10\n2024-01-03,"1"x,2,0.5,1.5,10\n2024-01-04,1,2,0.5,1.5,10\n',
    );
    expect(parsed.issues.map((i) => i.path)).toEqual([
      ['row', '2', 'close'],
      ['row', '3', 'csv'],
    ]);
    expect(parsed.issues[1]!.message).toMatch(/Invalid Closing Quote.*reading stopped here/);
  });

  it('reports a quote never closed', async () => {
    const parsed = await parseCandleCsv('time,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,10\n2024-01-03,"1,2,0.5,1.5,10\n');
    expect(parsed.issues).toHaveLength(1);
    expect(parsed.issues[0]!.path[2]).toBe('csv');
    expect(parsed.issues[0]!.message).toMatch(/Quote Not Closed/);
  });

  it('caps the listed problems and counts the rest', async () => {
    const rows = Array.from({ length: 150 }, () => 'x,1,2,0.5,1.5,10').join('\n');
    const parsed = await parseCandleCsv(`time,open,high,low,close,volume\n${rows}`);
    expect(parsed.issues).toHaveLength(101);
    expect(parsed.issues[100]).toEqual({ path: ['rows'], message: '…and 50 more problems' });
  });
});

describe('parseCsvTime', () => {
  it.each([
    ['2024-01-02', JAN2],
    ['2024-01-02 13:00', JAN2 + 13 * H],
    ['2024-01-02 13:00:00', JAN2 + 13 * H],
    ['2024-01-02T13:00:00Z', JAN2 + 13 * H],
    ['2024-01-02t13:00:00.250z', JAN2 + 13 * H + 250],
    ['2024-01-02T13:00:00+02:00', JAN2 + 11 * H],
    ['2024-01-02 13:00:00-0530', JAN2 + 18.5 * H],
    ['2024-01-02T13:00:00+02', JAN2 + 11 * H],
    ['1704153600', JAN2],
    ['1704153600.5', JAN2 + 500],
    ['99999999999', 99_999_999_999_000], // just below 1e11: seconds
    ['100000000000', 100_000_000_000], // 1e11: milliseconds
    ['1704153600000', JAN2],
    ['1704153600000000', JAN2], // microseconds
    ['1704153600000000000', JAN2], // nanoseconds
  ])('%s', (text, expected) => {
    expect(parseCsvTime(text)).toBe(expected);
  });

  it.each([['2024-02-30'], ['2024-13-01'], ['2024-01-02 24:00'], ['02/01/2024'], ['yesterday'], [''], ['-1704153600'], ['2024-01-02T13:00:00+25:00']])(
    'rejects %j',
    (text) => {
      expect(parseCsvTime(text)).toBeNull();
    },
  );

  it('treats a date-time without offset as UTC whatever the local time zone', () => {
    // Date.parse would read this as local time; the rule is UTC.
    expect(parseCsvTime('2024-07-01 00:00:00')).toBe(Date.UTC(2024, 6, 1));
  });
});

describe('parseCsvNumber', () => {
  it.each([['1', 1], ['-2.5', -2.5], ['.5', 0.5], ['5.', 5], ['1e3', 1000], ['+1.5E-2', 0.015], ['00123.4500', 123.45], ['0', 0]])('%s', (text, expected) => {
    expect(parseCsvNumber(text)).toBe(expected);
  });

  it.each([[''], ['abc'], ['0x10'], ['0b1'], ['0o7'], ['Infinity'], ['-Infinity'], ['NaN'], ['1,234.5'], ['1e999'], ['.'], ['1.2.3'], [' 1'], ['1 ']])('rejects %j', (text) => {
    expect(parseCsvNumber(text)).toBeNull();
  });
});
