import type { Config } from '../config/env.js';
import { ensureEmbedded, type EmbeddedDatabase } from './embedded.js';
import { migrate, type MigrateResult } from './migrate.js';

export interface ResolvedDatabase {
  url: string;
  embedded: EmbeddedDatabase | null;
}

/** DATABASE_URL when set; otherwise the embedded server (found running, or started). */
export async function resolveDatabaseUrl(
  config: Config,
  log: (message: string) => void,
): Promise<ResolvedDatabase> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: null };
  const embedded = await ensureEmbedded({
    dataDir: config.DATABASE_EMBEDDED_DIR,
    port: config.DATABASE_EMBEDDED_PORT,
    log,
  });
  return { url: embedded.url, embedded };
}

/** Applies pending migrations with the configured dialect choice. */
export function migrateDatabase(
  url: string,
  config: Pick<Config, 'DATABASE_TIMESCALEDB'>,
  log: (message: string) => void,
): Promise<MigrateResult> {
  return migrate({ url, timescaledb: config.DATABASE_TIMESCALEDB, log });
}
