import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { CreateStrategyDocument, RunBacktestBatchDocument, RunBacktestDocument } from '../../examples/generated/graphql.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { execute } from '../helpers/graphql.js';

/**
 * Submissions per API key (issue 13): over RATE_LIMIT_SUBMISSIONS_PER_MINUTE a submission is
 * a RateLimitedError with retryAfterSeconds, nothing is created, and another key is not
 * affected. Counted in Redis when the suite has it (shared by every API process), in memory
 * otherwise.
 */
let deps: Deps;
let app: App;
const env = { RATE_LIMIT_SUBMISSIONS_PER_MINUTE: '3', REDIS_KEY_PREFIX: `${uniqueName('rl')}:` };

beforeAll(async () => {
  deps = await createTestDeps(env);
  app = createApp(deps);
});
afterAll(async () => deps.close());

async function strategyOf(headers: Record<string, string>): Promise<string> {
  const s = (await execute(app, CreateStrategyDocument, { input: { name: 'rl', kind: 'BUY_AND_HOLD' } }, headers)).body.data!.createStrategy;
  if (s.__typename !== 'Strategy') throw new Error(JSON.stringify(s));
  return s.id;
}

describe('rate limit on submissions', () => {
  it('answers the fourth submission in a minute with RateLimitedError; another key is not affected', async () => {
    const alice = await createKeyHeader(deps, 'trader');
    const bob = await createKeyHeader(deps, 'trader');
    const strategyId = await strategyOf(alice.headers);
    const input = { strategyId, symbol: uniqueName('NONE'), interval: '1h', from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z' };
    // Every attempt counts, refused ones too (unknown symbol: NotFoundError).
    for (let i = 0; i < 2; i++) expect((await execute(app, RunBacktestDocument, { input }, alice.headers)).body.data!.runBacktest.__typename).toBe('NotFoundError');
    const batch = await execute(app, RunBacktestBatchDocument, { input: { ...input, symbol: undefined, symbols: [input.symbol] } as never }, alice.headers);
    expect(batch.body.data!.runBacktestBatch.__typename).toBe('ValidationError');

    const before = await deps.prisma.backtest.count({ where: { owner: alice.owner } });
    const limited = (await execute(app, RunBacktestDocument, { input }, alice.headers)).body.data!.runBacktest;
    expect(limited).toMatchObject({ __typename: 'RateLimitedError', code: 'RATE_LIMITED', message: expect.stringMatching(/^Too many backtest submissions for this API key: try again in \d+ s$/) });
    if (limited.__typename !== 'RateLimitedError') throw new Error();
    expect(limited.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(limited.retryAfterSeconds).toBeLessThanOrEqual(60);
    const limitedBatch = (await execute(app, RunBacktestBatchDocument, { input: { ...input, symbol: undefined, symbols: [input.symbol] } as never }, alice.headers)).body.data!.runBacktestBatch;
    expect(limitedBatch.__typename).toBe('RateLimitedError');
    expect(await deps.prisma.backtest.count({ where: { owner: alice.owner } })).toBe(before);

    // With Redis, another API process (its own runtime, same Redis) counts the same budget.
    if (process.env.REDIS_URL) {
      const replica = await createTestDeps(env);
      try {
        const elsewhere = (await execute(createApp(replica), RunBacktestDocument, { input }, alice.headers)).body.data!.runBacktest;
        expect(elsewhere.__typename).toBe('RateLimitedError');
      } finally {
        await replica.close();
      }
    }

    const bobStrategy = await strategyOf(bob.headers);
    const other = (await execute(app, RunBacktestDocument, { input: { ...input, strategyId: bobStrategy } }, bob.headers)).body.data!.runBacktest;
    expect(other.__typename).toBe('NotFoundError');
  });
});
