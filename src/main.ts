import { createApp } from './app.js';
import { runCli } from './cli/run-cli.js';
import { loadConfig } from './config/env.js';
import { EmbeddedDatabaseError } from './db/embedded.js';
import { MigrationError } from './db/migrate.js';
import { openRuntime } from './deps.js';
import { startJobConsumer, type JobConsumer } from './jobs/consumer.js';
import { createLogger, prettyLogs } from './lib/logger.js';
import { onShutdown } from './lib/shutdown.js';
import { seedDemoDataIfEmpty } from './modules/market-data/demo-seed.js';
import { listen, ListenError } from './server.js';

/** API entry: loadConfig() → openRuntime() (prepares the database) → createApp() → listen. No logic. */
runCli(
  'quantql',
  async () => {
    const config = loadConfig();
    const logger = createLogger(config.log.level, 'quantql', { pretty: prettyLogs(config.log.format) });
    const runtime = await openRuntime(config, logger, { prepare: config.database.migrateOnStart, runsBacktests: config.queueMode === 'in-process' });
    let consumer: JobConsumer | null = null;
    let aggregates: { close(): Promise<void> } | null = null;
    let listening;
    try {
      if (config.market.seedDemoData) await seedDemoDataIfEmpty(runtime.services.marketData, logger);
      // TimescaleDB: the aggregates follow ingests made by any process, in the background.
      aggregates = await runtime.services.marketData.keepAggregatesFresh();
      // Embedded mode: this process is also the worker (engine on threads, never this loop).
      if (runtime.queue.mode === 'in-process') consumer = await startJobConsumer(runtime);
      listening = await listen(createApp(runtime), config.http.host, config.http.port);
    } catch (error) {
      await consumer?.stop();
      await aggregates?.close();
      await runtime.close();
      throw error;
    }
    const { host, port } = config.http;
    const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
    logger.info(
      { database: runtime.dialect, embedded: config.database.embedded, queue: config.queueMode, pubsub: config.pubsubMode },
      `quantql ready: dashboard at http://${shownHost}:${port}/, GraphiQL at http://${shownHost}:${port}/graphql`,
    );
    if (config.database.embedded) {
      logger.info('queries work without a key here; to create strategies and run backtests: npm run apikey -- create --role trader --owner <you>, then enter the key in the dashboard or set the Authorization: Bearer <key> header in GraphiQL');
    }
    onShutdown(logger, config.http.shutdownTimeoutMs, async () => {
      // Subscribers first learn why their streams end (SERVICE_UNAVAILABLE: reconnect); then
      // the server stops taking requests and waits for those in flight; running jobs finish
      // (waiting ones stay queued: the next start resumes them).
      runtime.services.backtestEvents.endStreams();
      await listening.close();
      await consumer?.stop();
      await aggregates?.close();
      await runtime.close();
    });
  },
  [ListenError, EmbeddedDatabaseError, MigrationError],
);
