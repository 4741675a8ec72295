import { availableParallelism } from 'node:os';
import { createApp } from './app.js';
import { runCli } from './cli/run-cli.js';
import { loadConfig } from './config/env.js';
import { EmbeddedDatabaseError } from './db/embedded.js';
import { MigrationError } from './db/migrate.js';
import { createDeps } from './deps.js';
import { startJobConsumer } from './jobs/consumer.js';
import { createLogger } from './lib/logger.js';
import { onShutdown } from './lib/shutdown.js';
import { seedDemoData } from './modules/market-data/demo-seed.service.js';
import { listen, ListenError } from './server.js';

/** API entry: loadConfig() → createDeps() → createApp() → listen. */
runCli(
  'quantql',
  async () => {
    const config = loadConfig(process.env, { availableCores: availableParallelism() });
    const logger = createLogger(config.LOG_LEVEL);
    const deps = await createDeps(config, logger);
    if (config.seedDemoData && (await deps.prisma.instrument.count()) === 0) {
      logger.info('empty database: loading demo market data (20 instruments, 2 years of hourly candles)');
      const seeded = await seedDemoData(deps);
      logger.info({ instruments: seeded.instruments, candles: seeded.candles, durationMs: seeded.durationMs }, 'demo data loaded');
    }
    // Embedded mode: this process is also the worker (engine on threads, never this loop).
    const consumer = deps.queue.mode === 'in-process' ? await startJobConsumer(deps) : null;
    let listening;
    try {
      listening = await listen(createApp(deps), config.HOST, config.PORT);
    } catch (error) {
      await consumer?.stop();
      await deps.close();
      throw error;
    }
    const shownHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
    logger.info(
      { database: deps.dialect, embedded: config.embedded, queue: config.queueMode, pubsub: config.pubsubMode },
      `quantql ready: GraphiQL at http://${shownHost}:${config.PORT}/graphql`,
    );
    if (config.embedded) {
      logger.info('queries work without a key here; to create strategies and run backtests: npm run apikey -- create --role trader --owner <you>, then set the Authorization: Bearer <key> header in GraphiQL');
    }
    onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
      await listening.close();
      await consumer?.stop();
      await deps.close();
    });
  },
  [ListenError, EmbeddedDatabaseError, MigrationError],
);
