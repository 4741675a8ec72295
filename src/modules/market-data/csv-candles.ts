import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { Candles } from '../../engine/index.js';
import { IssueList, type ValidationIssue } from '../../lib/errors.js';
import { CandleColumnsBuilder } from './candle-columns.js';
import { MAX_LISTED_ISSUES } from './ingest.validation.js';

/**
 * Reading candle CSV files (the `npm run import` CLI). This file only turns text into
 * columns and reports what it cannot read; the business rules (prices > 0, high/low
 * consistency, duplicate or misaligned times) are ingestCandles' job, so they are written once.
 *
 * Accepted shapes:
 *  - a header row naming the time column `time`, `date`, `timestamp` or `datetime` and the
 *    columns open, high, low, close, volume — any order, any case, surrounding spaces or
 *    quotes; extra columns are ignored. `adj close` stands in for close only when there is
 *    no `close` column;
 *  - pandas' `to_csv` shape: the first header cell empty (``, `""`) or `Unnamed: 0`, that
 *    column holding the time;
 *  - comma-separated, RFC 4180 quoting, CRLF or LF, a UTF-8 BOM, blank lines anywhere.
 *
 * Times (see parseCsvTime): ISO 8601 dates or date-times (`T` or a space between), with an
 * optional `Z` or ±hh:mm offset — a value WITHOUT an offset is UTC; or epoch numbers whose
 * unit is decided by magnitude.
 */

/** Header names (lower-cased, spaces/underscores collapsed) accepted for the time column, by preference. */
const TIME_NAMES = ['time', 'date', 'timestamp', 'datetime'] as const;
const VALUE_FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;
/** Header cells pandas writes for an unnamed index column. */
const UNNAMED_INDEX = new Set(['', 'unnamed: 0']);

/** Epoch numbers at or above these are read as ns, µs, ms; below 1e11 as seconds (1e11 s is the year 5138, 1e11 ms is 1973-03-03). */
const EPOCH_NS_FROM = 1e17;
const EPOCH_US_FROM = 1e14;
const EPOCH_MS_FROM = 1e11;

export interface ParsedCandleCsv {
  /** Readable rows in file order (rows with issues are left out). */
  candles: Candles;
  /** 1-based file line of each candle, to report ingest problems by line. */
  lines: Uint32Array;
  /** Problems found while reading, by file line: path ['header'] or ['row', '<line>', field]. Empty means every data row was read. */
  issues: ValidationIssue[];
  /** Data rows read (the header and blank lines excluded). */
  rowsRead: number;
}

export interface ParseCandleCsvOptions {
  /** Called every `progressEvery` rows (and once at the end) with the rows read so far. */
  onProgress?: (rowsRead: number) => void;
  progressEvery?: number;
}

/**
 * Parses a candle CSV (see the file comment for the accepted shapes) into columns. Streams:
 * pass an async iterable of chunks (a file or stdin stream) and only the columns are kept
 * in memory, 48 bytes per row. Never throws for bad data; it is reported in `issues`
 * (at most MAX_LISTED_ISSUES listed, then one "…and N more" issue).
 */
export async function parseCandleCsv(
  input: string | AsyncIterable<string | Buffer>,
  options: ParseCandleCsvOptions = {},
): Promise<ParsedCandleCsv> {
  const progressEvery = options.progressEvery ?? 10_000;
  const builder = new CandleColumnsBuilder();
  const lines: number[] = [];
  const issues = new IssueList(MAX_LISTED_ISSUES, ['rows']);
  const add = (path: string[], message: string) => issues.add({ path, message });

  // No `info`/`skip_empty_lines`: csv-parse's per-record info object halves its speed, so
  // line numbers are counted here — every record, blank ones included, ends one line.
  const parser = parse({ bom: true, trim: true, relax_column_count: true });
  const source = typeof input === 'string' ? Readable.from([input]) : Readable.from(input);

  let layout: ColumnLayout | null = null;
  let headerIssue = false;
  let csvFailed = false;
  let rowsRead = 0;
  let nextLine = 1;
  const values = new Array<number>(VALUE_FIELDS.length);
  const row = (line: number, field: string) => ['row', String(line), field];
  // Runs once per data row (millions in a large import): no per-row closures or arrays.
  const onRecord = (record: string[]) => {
    const line = nextLine;
    nextLine += 1 + newlinesIn(record); // a quoted field may span lines
    if (record.length === 1 && record[0] === '') return; // a blank line
    if (layout === null && !headerIssue) {
      const found = findColumns(record);
      if (typeof found === 'string') {
        add(['header'], found);
        headerIssue = true;
      } else {
        layout = found;
      }
      return;
    }
    rowsRead += 1;
    if (rowsRead % progressEvery === 0) options.onProgress?.(rowsRead);
    if (!layout) return; // without a usable header rows are only counted
    if (record.length !== layout.width) {
      add(row(line, 'columns'), `has ${record.length} fields, the header has ${layout.width}`);
      return;
    }
    let ok = true;
    const time = parseCsvTime(record[layout.time]!);
    if (time === null) {
      add(row(line, 'time'), `${JSON.stringify(record[layout.time])} is not a time (expected ISO 8601, e.g. 2024-01-02T13:00:00Z, or epoch seconds/milliseconds)`);
      ok = false;
    }
    for (let k = 0; k < VALUE_FIELDS.length; k++) {
      const raw = record[layout.values[k]!]!;
      const value = parseCsvNumber(raw);
      if (value === null) {
        add(row(line, VALUE_FIELDS[k]!), raw === '' ? 'is empty' : `${JSON.stringify(raw)} is not a number`);
        ok = false;
      } else {
        values[k] = value;
      }
    }
    if (ok) {
      builder.push(time!, values[0]!, values[1]!, values[2]!, values[3]!, values[4]!);
      lines.push(line);
    }
  };

  // 'data' events rather than for-await: records are handled as they are produced, so the
  // rows before a CSV syntax error are still checked (an async iterator drops its buffer
  // when the stream errors).
  await new Promise<void>((resolve, reject) => {
    parser.on('data', onRecord);
    parser.on('end', resolve);
    parser.on('error', (error) => {
      if (!(error instanceof CsvError)) return reject(error);
      // A broken quote leaves the rest of the file unreadable (csv-parse cannot resynchronise): report it and stop.
      csvFailed = true;
      add(['row', String(error.lines ?? rowsRead + 2), 'csv'], `${error.message} (reading stopped here)`);
      source.destroy();
      resolve();
    });
    source.on('error', (error) => {
      parser.destroy();
      reject(error);
    });
    source.pipe(parser);
  });
  options.onProgress?.(rowsRead);
  if (!layout && !headerIssue && !csvFailed) add(['header'], 'the file is empty; the first line must be a header naming time, open, high, low, close, volume');
  return { candles: builder.finish(), lines: Uint32Array.from(lines), issues: issues.toArray(), rowsRead };
}

interface ColumnLayout {
  /** Number of fields every row must have. */
  width: number;
  time: number;
  /** Column index of open, high, low, close, volume, in that order. */
  values: number[];
}

function normaliseHeader(cell: string): string {
  return cell.replace(/^"+|"+$/g, '').trim().toLowerCase().replace(/[\s_]+/g, ' ');
}

/** Column positions from the header row, or a message naming what is missing. */
function findColumns(header: string[]): ColumnLayout | string {
  const names = header.map(normaliseHeader);
  const indexOf = (name: string) => names.indexOf(name);
  const problems: string[] = [];

  let time = -1;
  for (const name of TIME_NAMES) {
    time = indexOf(name);
    if (time >= 0) break;
  }
  if (time < 0 && UNNAMED_INDEX.has(names[0]!)) time = 0;
  if (time < 0) problems.push(`a time column (named ${TIME_NAMES.join(', ')}, or an unnamed first column)`);
  // Two time columns (say `date` and `time`, or `time` twice) may disagree: which one is the
  // bar's start is not for the reader to guess.
  const timeColumns = header.filter((_, i) => (TIME_NAMES as readonly string[]).includes(names[i]!));
  if (timeColumns.length > 1) problems.push(`a single time column (found ${timeColumns.map((h) => JSON.stringify(h)).join(', ')}: keep one)`);

  const values: number[] = [];
  for (const field of VALUE_FIELDS) {
    let at = indexOf(field);
    if (at < 0 && field === 'close') at = indexOf('adj close');
    if (at < 0) problems.push(field);
    else if (names.lastIndexOf(names[at]!) !== at) problems.push(`a single ${field} column (it appears more than once)`);
    values.push(at);
  }
  if (problems.length) {
    return `missing ${problems.join(', ')}; found columns ${header.map((h) => JSON.stringify(h)).join(', ')}`;
  }
  return { width: header.length, time, values };
}

function newlinesIn(record: string[]): number {
  let n = 0;
  for (const field of record) {
    for (let i = field.indexOf('\n'); i >= 0; i = field.indexOf('\n', i + 1)) n += 1;
  }
  return n;
}

/** Plain decimal or scientific notation; rejects '', hex, 'Infinity', thousands separators (Number() would accept some). */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A CSV number, or null when the text is not one. */
export function parseCsvNumber(text: string): number | null {
  const value = Number(text);
  if (!Number.isFinite(value)) return null;
  // Number() also accepts '', surrounding spaces and 0x/0b/0o prefixes. Digits-only text
  // with an optional point (almost every price) cannot be one of those: it skips the regex.
  if (!isPlainDecimal(text) && !NUMBER.test(text)) return null;
  return value;
}

function isPlainDecimal(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 48 || c > 57) && c !== 46) return false; // 0-9 or '.'
  }
  return text !== '.';
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const EPOCH = /^\d+(?:\.\d+)?$/;

/**
 * A CSV time as epoch ms (UTC), or null.
 *  - ISO 8601: `2024-01-02`, `2024-01-02 13:00`, `2024-01-02T13:00:00.250Z`,
 *    `2024-01-02 13:00:00+02:00` (also +0200, +02). A value without an offset is UTC —
 *    never the machine's local time zone — so an import gives the same rows everywhere.
 *  - Epoch numbers, unit by magnitude: < 1e11 seconds, < 1e14 milliseconds, < 1e17
 *    microseconds, else nanoseconds. (Milliseconds before 1973-03-03 would be misread as
 *    seconds; no market data we import is that old in ms form.)
 */
export function parseCsvTime(text: string): number | null {
  const iso = ISO.exec(text);
  if (iso) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', offset] = iso;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h);
    const minute = Number(mi);
    const second = Number(s);
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
      return null;
    }
    const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
    let t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
    if (offset && offset.toUpperCase() !== 'Z') {
      const sign = offset[0] === '-' ? -1 : 1;
      const digits = offset.slice(1).replace(':', '');
      const offHours = Number(digits.slice(0, 2));
      const offMinutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
      if (offHours > 23 || offMinutes > 59) return null;
      t -= sign * (offHours * 60 + offMinutes) * 60_000;
    }
    return t;
  }
  if (EPOCH.test(text)) {
    const n = Number(text);
    const ms = n >= EPOCH_NS_FROM ? n / 1e6 : n >= EPOCH_US_FROM ? n / 1e3 : n >= EPOCH_MS_FROM ? n : n * 1000;
    return Number.isFinite(ms) ? Math.round(ms) : null;
  }
  return null;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
