import { parseArgs } from 'node:util';
import { loadConfig } from '../config/env.js';
import { EmbeddedDatabaseError } from '../db/embedded.js';
import { MigrationError } from '../db/migrate.js';
import { openRuntime } from '../deps.js';
import { ValidationError } from '../lib/errors.js';
import { CliFailure, commandLogger, runCli } from './run-cli.js';

const USAGE = `usage:
  npm run db:compress -- --before <ISO date> [--after <ISO date>]
compresses the candle chunks (TimescaleDB) whose whole range lies between the dates — what the
compression policy does for chunks older than 30 days, now.`;

const date = (name: string, value: string | undefined, fallback: Date): Date => {
  if (value === undefined) return fallback;
  const parsed = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed.getTime())) {
    throw new ValidationError([{ path: [name], message: `${JSON.stringify(value)} is not an ISO date (e.g. 2024-01-31)` }]);
  }
  return parsed;
};

/** `npm run db:compress`: compresses old candle chunks now instead of waiting for the policy. */
runCli(
  'db:compress',
  async () => {
    const { values } = parseArgs({
      options: { before: { type: 'string' }, after: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      console.log(USAGE);
      return;
    }
    if (!values.before) throw new CliFailure(`--before is required\n${USAGE}`);
    const before = date('before', values.before, new Date());
    const after = date('after', values.after, new Date(0));
    const config = loadConfig();
    const runtime = await openRuntime(config, commandLogger(config), { prepare: false });
    try {
      const compressed = await runtime.services.marketData.compressCandles(after, before);
      console.log(`compressed ${compressed} candle chunk(s)`);
    } finally {
      await runtime.close();
    }
  },
  [EmbeddedDatabaseError, MigrationError],
);
