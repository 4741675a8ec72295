import { loadConfig } from '../config/env.js';
import { resolveDatabaseUrl, migrateDatabase } from '../db/connect.js';
import { EmbeddedDatabaseError } from '../db/embedded.js';
import { MigrationError } from '../db/migrate.js';
import { runCli } from './run-cli.js';

/** `npm run db:migrate`: applies pending migrations to DATABASE_URL or the embedded database. */
runCli(
  'db:migrate',
  async () => {
    const config = loadConfig();
    const log = (message: string) => console.log(message);
    const { url, embedded } = await resolveDatabaseUrl(config, log);
    try {
      const { applied, alreadyApplied } = await migrateDatabase(url, config, log);
      console.log(
        applied.length
          ? `applied ${applied.length} migration(s); ${alreadyApplied.length} already applied`
          : `database is up to date (${alreadyApplied.length} migrations applied)`,
      );
    } finally {
      if (embedded?.owned) await embedded.stop();
    }
  },
  [MigrationError, EmbeddedDatabaseError],
);
