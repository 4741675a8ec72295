import { availableParallelism } from 'node:os';
import { runCli } from './cli/run-cli.js';
import { loadConfig } from './config/env.js';
import { EmbeddedDatabaseError } from './db/embedded.js';
import { MigrationError } from './db/migrate.js';
import { createDeps } from './deps.js';
import { createLogger } from './lib/logger.js';
import { onShutdown } from './lib/shutdown.js';

/**
 * Worker entry: loadConfig() → createDeps() → consume jobs; graceful shutdown.
 * Job consumers (BullMQ in services mode) are registered from src/jobs/ by the backtest
 * execution work (issue #5); until then the process validates its configuration and its
 * connections, and stops cleanly on SIGINT/SIGTERM.
 */
runCli(
  'quantql-worker',
  async () => {
    const config = loadConfig(process.env, { availableCores: availableParallelism() });
    const logger = createLogger(config.LOG_LEVEL, 'quantql-worker');
    const deps = await createDeps(config, logger);
    logger.info(
      { concurrency: config.workerConcurrency, queue: config.queueMode, database: deps.dialect },
      'quantql worker connected',
    );
    // Keep the event loop alive until a signal arrives.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
      clearInterval(keepAlive);
      await deps.close();
    });
  },
  [EmbeddedDatabaseError, MigrationError],
);
