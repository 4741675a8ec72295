import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Applies prisma/migrations/<timestamp>_<name>/migration.sql in order and records each in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does (checksum = sha256 of the
 * file, same columns, same advisory lock id), so the Prisma CLI can take over a database
 * migrated here and vice versa. We run migrations ourselves because the Prisma CLI needs a
 * schema-engine binary that cannot be downloaded on every machine (DESIGN.md §2).
 *
 * - Each migration runs in one transaction, unless its first line is
 *   `-- quantql:no-transaction` (for statements PostgreSQL refuses inside one, such as
 *   CREATE INDEX CONCURRENTLY).
 * - Several processes starting at once serialise on the advisory lock; the second finds
 *   everything applied.
 * - An applied migration whose file changed is refused (MigrationError), as is a database
 *   with a failed, unresolved migration.
 */

/** Prisma Migrate's advisory lock key: holding the same lock keeps both tools from racing. */
const PRISMA_ADVISORY_LOCK = 72707369;
const NO_TRANSACTION = /^--\s*quantql:no-transaction\b/;

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateOptions {
  url: string;
  migrationsDir?: string;
  /** Passed to the migrations as the session setting quantql.timescaledb. */
  timescaledb?: 'auto' | 'on' | 'off';
  log?: (message: string) => void;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export const defaultMigrationsDir = join(import.meta.dirname, '..', '..', 'prisma', 'migrations');

/** Reads the migration folders, sorted by name (their timestamp prefix). */
async function readMigrations(dir = defaultMigrationsDir): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    folders.map(async (name) => {
      const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

interface AppliedRow {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Applies every pending migration. Safe to call from several processes at once. */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? (() => undefined);
  const migrations = await readMigrations(options.migrationsDir);
  const client = new pg.Client({ connectionString: options.url, options: '-c TimeZone=UTC' });
  await client.connect();
  try {
    await client.query(`/* migrate */ SELECT pg_advisory_lock(${PRISMA_ADVISORY_LOCK})`);
    try {
      await client.query(`/* migrate */ SELECT set_config('quantql.timescaledb', $1, false)`, [
        options.timescaledb ?? 'auto',
      ]);
      await ensureMigrationsTable(client);
      return await applyPending(client, migrations, log);
    } finally {
      await client.query(`/* migrate */ SELECT pg_advisory_unlock(${PRISMA_ADVISORY_LOCK})`);
    }
  } finally {
    await client.end();
  }
}

/** Names of the local migrations the database has not applied (all of them on an empty database). */
export async function findPendingMigrations(url: string, migrationsDir?: string): Promise<string[]> {
  const migrations = await readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `/* findPendingMigrations */
       SELECT migration_name AS name FROM "_prisma_migrations"
       WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    ).catch((error: { code?: string }) => {
      if (error.code === '42P01') return { rows: [] }; // no _prisma_migrations table: nothing applied
      throw error;
    });
    const applied = new Set(rows.map((r) => r.name));
    return migrations.map((m) => m.name).filter((name) => !applied.has(name));
  } finally {
    await client.end();
  }
}

async function ensureMigrationsTable(client: pg.Client): Promise<void> {
  // The table definition `prisma migrate deploy` creates.
  await client.query(`/* ensureMigrationsTable */
    CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum"              VARCHAR(64) NOT NULL,
      "finished_at"           TIMESTAMPTZ,
      "migration_name"        VARCHAR(255) NOT NULL,
      "logs"                  TEXT,
      "rolled_back_at"        TIMESTAMPTZ,
      "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
    )`);
}

async function applyPending(
  client: pg.Client,
  migrations: MigrationFile[],
  log: (message: string) => void,
): Promise<MigrateResult> {
  const { rows } = await client.query<AppliedRow>(
    `/* applyPending */ SELECT id, migration_name, checksum, finished_at, rolled_back_at
     FROM "_prisma_migrations" ORDER BY started_at`,
  );
  const live = rows.filter((r) => r.rolled_back_at === null);
  const failed = live.find((r) => r.finished_at === null);
  if (failed) {
    throw new MigrationError(
      `Migration ${failed.migration_name} failed earlier and was not resolved; fix the database, then mark it rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE id = '${failed.id}') or run \`prisma migrate resolve\`.`,
    );
  }
  const appliedByName = new Map(live.map((r) => [r.migration_name, r]));
  const local = new Set(migrations.map((m) => m.name));
  for (const row of live) {
    if (!local.has(row.migration_name)) {
      log(`warning: migration ${row.migration_name} is applied in the database but missing locally`);
    }
  }
  for (const m of migrations) {
    const row = appliedByName.get(m.name);
    if (row && row.checksum !== m.checksum) {
      throw new MigrationError(
        `Migration ${m.name} was modified after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${m.checksum.slice(0, 12)}… on disk). Restore the file and add a new migration instead.`,
      );
    }
  }

  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const m of migrations) {
    if (appliedByName.has(m.name)) {
      result.alreadyApplied.push(m.name);
      continue;
    }
    await applyOne(client, m);
    log(`applied migration ${m.name}`);
    result.applied.push(m.name);
  }
  return result;
}

async function applyOne(client: pg.Client, m: MigrationFile): Promise<void> {
  const id = randomUUID();
  await client.query(
    `/* applyOne */ INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
     VALUES ($1, $2, $3, now(), 0)`,
    [id, m.checksum, m.name],
  );
  const transactional = !NO_TRANSACTION.test(m.sql);
  try {
    if (transactional) await client.query('BEGIN');
    await client.query(m.sql);
    if (transactional) await client.query('COMMIT');
  } catch (error) {
    if (transactional) await client.query('ROLLBACK').catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    // A transactional migration left nothing behind: mark it rolled back so the next run
    // retries it. A non-transactional one may be half applied and needs a human.
    await client.query(
      `/* applyOne */ UPDATE "_prisma_migrations" SET logs = $2, rolled_back_at = ${transactional ? 'now()' : 'NULL'} WHERE id = $1`,
      [id, message],
    );
    throw new MigrationError(`Migration ${m.name} failed: ${message}`);
  }
  await client.query(
    `/* applyOne */ UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
    [id],
  );
}
