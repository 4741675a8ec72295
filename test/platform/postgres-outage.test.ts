import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { createTestDeps } from '../helpers/deps.js';
import { post } from '../helpers/graphql.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * PostgreSQL goes away and comes back (issue 13, faults): requests fail cleanly (a coded
 * error, never a hang or a crash), /ready says 503 with the reason, and once the database is
 * back the pool recovers and /ready is 200 again — without a restart. The database is the
 * real one behind a TCP proxy this file stops and starts.
 */
describe('PostgreSQL outage', () => {
  let proxy: TcpProxy;
  let deps: Deps;
  let app: App;
  let headers: Record<string, string>;
  let traderHeaders: Record<string, string>;

  beforeAll(async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    // Keys are read from the database on every request here (no cache), so an outage shows.
    deps = await createTestDeps({ DATABASE_URL: url.toString(), AUTH_KEY_CACHE_SECONDS: '0' });
    app = createApp(deps);
    headers = (await createKeyHeader(deps, 'reader')).headers;
    traderHeaders = (await createKeyHeader(deps, 'trader')).headers;
  });
  afterAll(async () => {
    await proxy.start().catch(() => undefined);
    await deps?.close();
    await proxy?.close();
  });

  const ready = async () => {
    const response = await app.fetch('http://quantql.test/ready');
    return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
  };
  /** Polls a condition (not a clock) until it holds. */
  async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
    for (;;) {
      const value = await read();
      if (ok(value)) return value;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('a connection held between statements when the database goes away: its holder’s next statement fails, nothing crashes', async () => {
    const held = await deps.db.pool.connect();
    await held.query('SELECT 1');
    // pg emits 'error' on a checked-out client whose connection drops; unheard, it would
    // be an uncaught exception (jest fails the test on it). Its 'end' says it dropped.
    const dropped = new Promise((resolve) => held.once('end', resolve));
    await proxy.stop();
    await dropped;
    await expect(held.query('SELECT 1')).rejects.toThrow(/not queryable|Connection terminated/);
    held.release(true);
    await proxy.start();
    const { rows } = await deps.db.pool.query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('fails requests cleanly and reports 503 while the database is away; recovers without a restart', async () => {
    expect((await ready()).status).toBe(200);
    expect((await post(app, { query: '{ instruments(first: 1) { edges { cursor } } }' }, headers)).body.errors).toBeUndefined();

    await proxy.stop();
    const down = await until(ready, (r) => r.status !== 200);
    expect(down).toMatchObject({ status: 503, body: { status: 'unavailable', reason: expect.stringMatching(/^database unreachable: /) } });
    const failed = await post(app, { query: '{ instruments(first: 1) { edges { cursor } } }' }, headers);
    // An outage is a 503 with a code a client retries on, not "Unexpected error.".
    expect(failed.status).toBe(503);
    expect(failed.body.data ?? null).toBeNull();
    expect(failed.body.errors).toEqual([expect.objectContaining({ message: 'The database is unavailable right now; try again shortly.', extensions: { code: 'SERVICE_UNAVAILABLE' } })]);
    expect(JSON.stringify(failed.body)).not.toMatch(/ECONNREFUSED|at .*\.ts:\d+/);

    await proxy.start();
    await until(ready, (r) => r.status === 200);
    const again = await post(app, { query: '{ instruments(first: 1) { edges { cursor } } }' }, headers);
    expect(again.body.errors).toBeUndefined();
  }, 60_000);

  it('a request in flight when the database goes away fails with 503 and changes nothing; the next one succeeds once it is back', async () => {
    const created = await post(app, { query: 'mutation { createStrategy(input: { name: "before", kind: BUY_AND_HOLD }) { ... on Strategy { id } } }' }, traderHeaders);
    const id = (created.body.data as { createStrategy: { id: string } }).createStrategy.id;
    const rawId = Buffer.from(id, 'base64').toString().split(':')[1]!;
    // A direct connection (not through the proxy) holds the strategy's row, so the rename
    // below is mid-statement — waiting on the lock — when the proxy drops its connection.
    const locker = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM strategy WHERE id = $1 FOR UPDATE', [rawId]);
      const rename = post(app, { query: `mutation { updateStrategy(input: { id: "${id}", name: "during" }) { __typename } }` }, traderHeaders);
      const waitingRenames = async () => {
        // (Statistics are a snapshot per transaction: cleared before each look.)
        await locker.query('SELECT pg_stat_clear_snapshot()');
        const { rows } = await locker.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE "public"."strategy"%' AND pid <> pg_backend_pid()`,
        );
        return rows[0].n as number;
      };
      await until(waitingRenames, (n) => n > 0);
      await proxy.stop();
      const failed = await rename;
      expect(failed.status).toBe(503);
      expect(failed.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'SERVICE_UNAVAILABLE' } })]);
      // The server notices the vanished client within client_connection_check_interval and
      // cancels the waiting statement; only then does the lock go, so it cannot commit.
      await until(waitingRenames, (n) => n === 0);
      await locker.query('ROLLBACK');
      const { rows } = await locker.query('SELECT name FROM strategy WHERE id = $1', [rawId]);
      expect(rows).toEqual([{ name: 'before' }]);
    } finally {
      await locker.end();
      await proxy.start();
    }
    await until(ready, (r) => r.status === 200);
    const renamed = await post(app, { query: `mutation { updateStrategy(input: { id: "${id}", name: "after" }) { ... on Strategy { name } } }` }, traderHeaders);
    expect(renamed.body).toEqual({ data: { updateStrategy: { name: 'after' } } });
  }, 60_000);
});
