import { CliFailure, runCli } from './cli/run-cli.js';
import { loadConfig } from './config/env.js';
import { EmbeddedDatabaseError } from './db/embedded.js';
import { MigrationError } from './db/migrate.js';
import { openRuntime } from './deps.js';
import { startJobConsumer } from './jobs/consumer.js';
import { createLogger, prettyLogs } from './lib/logger.js';
import { onShutdown } from './lib/shutdown.js';

/**
 * Worker entry: config → runtime (on a database `npm start` or `npm run db:migrate`
 * prepared) → consume jobs; graceful shutdown. With REDIS_URL it consumes the shared BullMQ
 * queue (run as many workers as you like); without it there is nothing to share, and
 * `npm start` runs jobs itself.
 */
runCli(
  'quantql-worker',
  async () => {
    const config = loadConfig();
    if (!config.redis) throw new CliFailure('a separate worker needs REDIS_URL (the shared queue); without it `npm start` runs backtests itself');
    const logger = createLogger(config.log.level, 'quantql-worker', { pretty: prettyLogs(config.log.format) });
    const runtime = await openRuntime(config, logger, { prepare: false, runsBacktests: true });
    const consumer = await startJobConsumer(runtime);
    logger.info({ concurrency: config.worker.concurrency, database: runtime.dialect }, 'quantql worker consuming backtest jobs');
    onShutdown(logger, config.http.shutdownTimeoutMs, async () => {
      await consumer.stop();
      await runtime.close();
    });
  },
  [EmbeddedDatabaseError, MigrationError],
);
