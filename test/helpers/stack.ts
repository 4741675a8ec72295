import type { App } from '../../src/app.js';
import { createApp } from '../../src/app.js';
import type { Runtime } from '../../src/deps.js';
import { startJobConsumer, type JobConsumer } from '../../src/jobs/consumer.js';
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
