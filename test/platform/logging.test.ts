import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { createTestDeps } from '../helpers/deps.js';
import { post } from '../helpers/graphql.js';

/**
 * What the log says about requests (issue 13, finding 10): a client's mistake is one info
 * line without a stack; an unexpected failure one error line with it; a slow operation a
 * warn line with its name and duration.
 */
let deps: Deps;
let lines: Array<Record<string, unknown>>;
let reader: Record<string, string>;

/** An app on the test runtime whose log goes to `lines`, with some services or settings replaced. */
function appWith(overrides: { services?: Partial<Deps['services']>; slowOperationMs?: number } = {}): App {
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return createApp({
    ...deps,
    logger,
    services: { ...deps.services, ...overrides.services },
    config: { ...deps.config, log: { ...deps.config.log, slowOperationMs: overrides.slowOperationMs ?? 0 } },
  });
}

beforeAll(async () => {
  deps = await createTestDeps();
  reader = (await createKeyHeader(deps, 'reader')).headers;
});
afterAll(async () => deps.close());

const atLeast = (level: number) => lines.filter((l) => (l.level as number) >= level);
const hasStack = (line: Record<string, unknown>) => JSON.stringify(line).includes('"stack"');

describe('request logging', () => {
  it('logs client mistakes at info, without stacks, and nothing at warn or error', async () => {
    lines = [];
    const app = appWith();
    const mistakes = [
      { query: 'query($n: Int) { instruments(first: $n) { edges { cursor } } }', variables: { n: 'ten' } },
      { query: '{ instruments(after: "garbage") { edges { cursor } } }' },
      { query: '{ candles(symbol: "NOPE", interval: "1h", from: "2024-02-01T00:00:00Z", to: "2024-01-01T00:00:00Z") { candles { time } } }' },
      { query: '{ nope }' },
      { query: '{ viewer { ' },
      { query: 'query($n: Int) { instruments(first: $n) { edges { cursor } } }', variables: { n: 5000 } },
    ];
    for (const body of mistakes) {
      const res = await post(app, body, reader);
      expect(res.status).toBeLessThan(500);
      expect(res.body.errors?.length).toBeGreaterThan(0);
    }
    await post(app, { query: '{ viewer { owner } }' }, { authorization: 'Bearer qql_not_a_key' });
    expect(atLeast(40)).toEqual([]);
    expect(lines.some((l) => l.msg === 'request refused' && l.level === 30)).toBe(true);
    expect(lines.filter(hasStack)).toEqual([]);
  });

  it('logs an unexpected failure once, at error, with its stack; the client sees only INTERNAL_SERVER_ERROR', async () => {
    lines = [];
    const system = Object.create(deps.services.system) as Deps['services']['system'];
    system.getSystemInfo = () => {
      throw new Error('disk on fire');
    };
    const res = await post(appWith({ services: { system } }), { query: '{ systemInfo { version } }' }, reader);
    expect(res.body.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    expect(JSON.stringify(res.body)).not.toContain('disk on fire');
    const errors = atLeast(50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'unexpected error in GraphQL execution', err: { message: 'disk on fire' } });
    expect(hasStack(errors[0]!)).toBe(true);
  });

  it('logs an operation slower than LOG_SLOW_OPERATION_MS at warn with its name and duration', async () => {
    lines = [];
    const system = Object.create(deps.services.system) as Deps['services']['system'];
    const real = deps.services.system;
    system.getSystemInfo = () => new Promise((resolve) => setTimeout(() => resolve(real.getSystemInfo()), 30)) as never;
    const res = await post(appWith({ services: { system }, slowOperationMs: 20 }), { query: 'query SlowInfo { systemInfo { version } }' }, reader);
    expect(res.body.errors).toBeUndefined();
    const warns = lines.filter((l) => l.level === 40);
    expect(warns).toEqual([expect.objectContaining({ msg: 'slow operation', operation: 'SlowInfo', durationMs: expect.any(Number) })]);
    expect(warns[0]!.durationMs as number).toBeGreaterThanOrEqual(20);
    // Fast operations say nothing.
    lines = [];
    await post(appWith({ slowOperationMs: 5_000 }), { query: '{ viewer { owner } }' }, reader);
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
  });
});
