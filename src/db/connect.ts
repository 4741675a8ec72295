import { ensureEmbedded, type EmbeddedDatabase } from './embedded.js';

export interface DatabaseLocation {
  /** DATABASE_URL; null: use the embedded server. */
  url: string | null;
  embeddedDir: string;
  embeddedPort: number;
}

export interface ResolvedDatabase {
  url: string;
  /** The embedded server when one is used (stopped by its owner on close). */
  embedded: EmbeddedDatabase | null;
}

/** DATABASE_URL when set; otherwise the embedded server (found running, or started). */
export async function resolveDatabase(location: DatabaseLocation, log: (message: string) => void): Promise<ResolvedDatabase> {
  if (location.url) return { url: location.url, embedded: null };
  const embedded = await ensureEmbedded({ dataDir: location.embeddedDir, port: location.embeddedPort, log });
  return { url: embedded.url, embedded };
}
