import { parseArgs } from 'node:util';
import { loadConfig } from '../config/env.js';
import { EmbeddedDatabaseError } from '../db/embedded.js';
import { MigrationError } from '../db/migrate.js';
import { openRuntime } from '../deps.js';
import { ValidationError } from '../lib/errors.js';
import { ROLES } from '../modules/accounts/access.js';
import { CliFailure, commandLogger, runCli } from './run-cli.js';

const USAGE = `usage:
  npm run apikey -- create --role <${ROLES.join('|')}> --owner <name> [--label <text>]
  npm run apikey -- list [--owner <name>]
  npm run apikey -- revoke --prefix <prefix>`;

/** `npm run apikey`: manage API keys. The key is printed once, at creation; only its hash is stored. */
runCli(
  'apikey',
  async () => {
    const { positionals, values } = parseArgs({
      allowPositionals: true,
      options: {
        role: { type: 'string' },
        owner: { type: 'string' },
        label: { type: 'string' },
        prefix: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const command = positionals[0];
    if (values.help) {
      console.log(USAGE);
      return;
    }
    if (!command || !['create', 'list', 'revoke'].includes(command)) throw new CliFailure(`unknown command ${JSON.stringify(command ?? '')}\n${USAGE}`);
    const config = loadConfig();
    const runtime = await openRuntime(config, commandLogger(config), { prepare: false });
    const { accounts } = runtime.services;
    try {
      if (command === 'create') {
        const created = await accounts.createApiKey({
          owner: values.owner ?? '',
          role: values.role ?? '',
          label: values.label,
        });
        console.log(`created ${created.role} key for ${created.owner} (prefix ${created.prefix}); it is shown only once:`);
        console.log(created.key);
      } else if (command === 'list') {
        for (const k of await accounts.listApiKeys(values.owner)) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
          console.log(`${k.prefix}  ${k.role.padEnd(6)}  ${k.owner}  ${state}  ${k.label ?? ''}`.trimEnd());
        }
      } else {
        if (!values.prefix) throw new ValidationError([{ path: ['prefix'], message: 'is required' }]);
        const count = await accounts.revokeApiKey(values.prefix, new Date());
        if (!count) throw new CliFailure(`no active key with prefix ${values.prefix}`);
        console.log(`revoked key ${values.prefix}`);
      }
    } finally {
      await runtime.close();
    }
  },
  [EmbeddedDatabaseError, MigrationError],
);
