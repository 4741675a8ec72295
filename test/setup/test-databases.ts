import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';

/**
 * Creates a fresh database on the server behind `adminUrl` and migrates it.
 * `timescaledb: 'off'` gives the portable dialect even on a TimescaleDB server.
 */
export async function createMigratedDatabase(
  adminUrl: string,
  name: string,
  timescaledb: 'auto' | 'off',
): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  await migrate({ url, timescaledb });
  return url;
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function serverHasTimescale(adminUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
              AND current_setting('shared_preload_libraries') ~ 'timescaledb' AS ok`,
    );
    return rows[0]!.ok;
  } finally {
    await client.end();
  }
}
