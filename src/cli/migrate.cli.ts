import { loadConfig } from '../config/env.js';
import { resolveDatabase } from '../db/connect.js';
import { EmbeddedDatabaseError } from '../db/embedded.js';
import { MigrationError } from '../db/migrate.js';
import { prepareDatabase } from '../db/prepare.js';
import { runCli } from './run-cli.js';

/** `npm run db:migrate`: applies pending migrations (and the retention policy) to DATABASE_URL or the embedded database. */
runCli(
  'db:migrate',
  async () => {
    const config = loadConfig();
    const log = (message: string) => console.log(message);
    const { url, embedded } = await resolveDatabase(config.database, log);
    try {
      const { applied, alreadyApplied } = await prepareDatabase(url, config.database, log);
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
