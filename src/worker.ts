import { availableParallelism } from 'node:os';
import { CliFailure, runCli } from './cli/run-cli.js';
import { startJobConsumer } from './jobs/consumer.js';
import { loadConfig } from './config/env.js';
import { EmbeddedDatabaseError } from './db/embedded.js';
import { MigrationError } from './db/migrate.js';
import { createDeps } from './deps.js';
import { createLogger } from './lib/logger.js';
import { onShutdown } from './lib/shutdown.js';

/**
 * Worker entry: loadConfig() → createDeps() → consume jobs; graceful shutdown.
 * With REDIS_URL it consumes the shared BullMQ queue (run as many workers as you like);
 * without it there is nothing to share, and `npm start` runs jobs itself.
 */
runCli(
  'quantql-worker',
  async () => {
    const config = loadConfig(process.env, { availableCores: availableParallelism() });
    const logger = createLogger(config.LOG_LEVEL, 'quantql-worker');
    const deps = await createDeps(config, logger);
    if (deps.queue.mode !== 'bullmq') {
      await deps.close();
      throw new CliFailure('a separate worker needs REDIS_URL (the shared queue); without it `npm start` runs backtests itself');
    }
    const consumer = await startJobConsumer(deps);
    logger.info({ concurrency: config.workerConcurrency, database: deps.dialect }, 'quantql worker consuming backtest jobs');
    onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
      await consumer.stop();
      await deps.close();
    });
  },
  [EmbeddedDatabaseError, MigrationError],
);
