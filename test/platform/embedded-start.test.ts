import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { freePort, runEntry, type Started } from '../helpers/processes.js';

/**
 * The zero-setup path as a user runs it: `npm start` with no DATABASE_URL starts an embedded
 * PostgreSQL, migrates it and serves GraphQL; project commands use the running server; a
 * second start fails with one clear line; SIGTERM stops everything; a restart keeps the data.
 */
const running: Started[] = [];
let dataRoot: string;

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

async function graphql(port: number, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: Record<string, any>; errors?: Array<{ message: string }> };
}

describe('embedded mode (npm start with no environment)', () => {
  it('starts, serves, shares its database with commands, refuses a second start, stops cleanly and keeps data', async () => {
    dataRoot = await mkdtemp(join(tmpdir(), 'quantql-embedded-'));
    // mkdtemp makes the folder private; as root, PostgreSQL runs as `postgres` and must enter it.
    await chmod(dataRoot, 0o755);
    const dataDir = join(dataRoot, 'pg');
    const port = await freePort();
    const env = { DATABASE_EMBEDDED_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' };

    const first = runEntry('src/main.ts', [], env);
    running.push(first);
    const startLog = await first.waitFor(/quantql ready/);
    expect(startLog).toMatch(/initialising the embedded PostgreSQL/);
    expect(startLog).toMatch(/demo data loaded/);
    expect(startLog).toContain(`GraphiQL at http://127.0.0.1:${port}/graphql`);

    const demo = await graphql(port, '{ instruments(first: 50) { edges { node { symbol summary { candleCount } } } } }');
    expect(demo.data!.instruments.edges).toHaveLength(20);
    expect(demo.data!.instruments.edges[0].node.summary.candleCount).toBeGreaterThan(17_000);

    const info = await graphql(port, '{ systemInfo { embedded queueMode pubsubMode database { timescaledb serverVersion } } }');
    expect(info.data!.systemInfo).toMatchObject({
      embedded: true,
      queueMode: 'IN_PROCESS',
      pubsubMode: 'IN_PROCESS',
      database: { timescaledb: false },
    });
    expect(info.data!.systemInfo.database.serverVersion).toMatch(/^\d+\.\d+$/);

    const graphiql = await fetch(`http://127.0.0.1:${port}/graphql`, { headers: { accept: 'text/html' } });
    expect(await graphiql.text()).toContain('GraphiQL');

    // A project command finds the running server instead of starting another.
    const apikey = runEntry('src/cli/apikey.cli.ts', ['create', '--role', 'admin', '--owner', 'alice'], env);
    expect(await apikey.exited).toBe(0);
    const key = /^(qql_\S+)$/m.exec(apikey.output())![1]!;
    expect(apikey.output()).not.toMatch(/initialising|embedded PostgreSQL started/);
    const me = await graphql(port, '{ viewer { owner role } }', { authorization: `Bearer ${key}` });
    expect(me.data!.viewer).toEqual({ owner: 'alice', role: 'ADMIN' });

    const migrateCmd = runEntry('src/cli/migrate.cli.ts', [], env);
    expect(await migrateCmd.exited).toBe(0);
    expect(migrateCmd.output()).toMatch(/using the embedded PostgreSQL already running[\s\S]*database is up to date/);

    // A second server on the same port: one clear line, no stack trace.
    const second = runEntry('src/main.ts', [], env);
    running.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`quantql: port ${port} on 127.0.0.1 is already in use`);
    expect(second.output()).not.toMatch(/\n\s+at /);

    // Graceful stop: the embedded server goes down with the API.
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);

    // Restart: same folder, data kept (the key still authenticates), no re-initialisation.
    const restarted = runEntry('src/main.ts', [], env);
    running.push(restarted);
    const restartLog = await restarted.waitFor(/quantql ready/);
    expect(restartLog).not.toMatch(/initialising/);
    expect(restartLog).not.toMatch(/applied migration/);
    expect(restartLog).not.toMatch(/demo data/);
    const again = await graphql(port, '{ viewer { owner } }', { authorization: `Bearer ${key}` });
    expect(again.data!.viewer.owner).toBe('alice');
    restarted.child.kill('SIGINT');
    expect(await restarted.exited).toBe(0);
  }, 120_000);
});

describe('embedded mode as root', () => {
  const isRoot = process.getuid?.() === 0;
  (isRoot ? it : it.skip)('explains, in one line, a data folder the postgres user cannot reach', async () => {
    const privateRoot = await mkdtemp(join(tmpdir(), 'quantql-private-'));
    try {
      const cmd = runEntry('src/cli/migrate.cli.ts', [], { DATABASE_EMBEDDED_DIR: join(privateRoot, 'pg') });
      expect(await cmd.exited).toBe(1);
      expect(cmd.output()).toContain(`db:migrate: PostgreSQL cannot run as root, so it runs as the "postgres" user, which cannot enter ${privateRoot}.`);
      expect(cmd.output()).not.toMatch(/\n\s+at /);
    } finally {
      await rm(privateRoot, { recursive: true, force: true });
    }
  });
});

describe('apikey command failures', () => {
  it('exits 1 with one line for an unknown command and for revoking an unknown prefix', async () => {
    const env = { DATABASE_URL: process.env.TEST_DATABASE_URL!, DATABASE_MIGRATE_ON_START: 'false' };
    const bogus = runEntry('src/cli/apikey.cli.ts', ['bogus'], env);
    expect(await bogus.exited).toBe(1);
    expect(bogus.output()).toContain('apikey: unknown command "bogus"');
    const revoke = runEntry('src/cli/apikey.cli.ts', ['revoke', '--prefix', 'zzzzzzzz'], env);
    expect(await revoke.exited).toBe(1);
    expect(revoke.output()).toContain('apikey: no active key with prefix zzzzzzzz');
  });
});
