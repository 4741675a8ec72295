import type { App } from '../../src/app.js';
import { createApp } from '../../src/app.js';
import type { Runtime } from '../../src/deps.js';
import { startJobConsumer, type JobConsumer } from '../../src/jobs/consumer.js';
import { BacktestRunService, type BacktestRunDeps } from '../../src/modules/backtests/backtest-runs.service.js';
import { BacktestsRepository } from '../../src/modules/backtests/backtests.repository.js';
import { BacktestsStore } from '../../src/modules/backtests/backtests.store.js';
import { createTestDeps, uniqueName } from './deps.js';

export interface TestStack {
  deps: Runtime;
  app: App;
  consumer: JobConsumer | null;
  close(): Promise<void>;
}

/**
 * API + job consumer in this process, on the transport the suite runs with: BullMQ and
 * Redis pub/sub when REDIS_URL is set (a key prefix of its own, so no other test file's
 * worker takes its jobs), the in-process queue otherwise. The engine runs on real threads.
 */
export async function startStack(options: { consume?: boolean; env?: Record<string, string> } = {}): Promise<TestStack> {
  const deps = await createTestDeps({ REDIS_KEY_PREFIX: `${uniqueName('qt')}:`, WORKER_CONCURRENCY: '2', ...options.env });
  // No recovery of unfinished jobs: the test database is shared by test files running in
  // parallel, and their QUEUED rows are theirs to run.
  const consumer =
    options.consume === false
      ? null
      : await startJobConsumer(deps, { resumeUnfinished: false });
  return {
    deps,
    app: createApp(deps),
    consumer,
    async close() {
      await consumer?.stop();
      await deps.close();
    },
  };
}

/**
 * A run service of its own on a stack's real database, pub/sub and queue, with some of its
 * dependencies replaced — the engine threads, or a candle source that hands runs millions
 * of generated bars (or fails) — for tests of the run lifecycle.
 */
export function createRunService(deps: Runtime, replaced: Pick<BacktestRunDeps, 'engine'> & Partial<BacktestRunDeps>): BacktestRunService {
  return new BacktestRunService({
    repository: new BacktestsRepository(deps.prisma),
    store: new BacktestsStore(deps.db),
    db: deps.db,
    candles: deps.services.marketData,
    pubsub: deps.pubsub,
    queue: deps.queue,
    logger: deps.logger,
    ...replaced,
  });
}
