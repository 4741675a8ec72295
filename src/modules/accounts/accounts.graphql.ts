import { builder } from '../../graphql/builder.js';
import type { Viewer } from '../../context.js';

const RoleEnum = builder.enumType('Role', {
  description: 'What an API key may do. Roles are cumulative.',
  values: {
    READER: { value: 'reader', description: 'Queries and subscriptions.' },
    TRADER: { value: 'trader', description: 'Reader, plus strategies and backtests.' },
    ADMIN: { value: 'admin', description: 'Trader, plus ingest, cache and diagnostics.' },
  } as const,
});

const ViewerRef = builder.objectRef<Viewer>('Viewer').implement({
  description: 'The caller of this request.',
  fields: (t) => ({
    owner: t.exposeString('owner', { description: 'Owner of the API key; strategies and backtests belong to it.' }),
    role: t.field({ type: RoleEnum, resolve: (v) => v.role, description: 'Role of the API key.' }),
    anonymous: t.exposeBoolean('anonymous', { description: 'True when no API key was presented (read-only access).' }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    description: 'Who the server thinks you are: useful to check an API key in GraphiQL.',
    resolve: (_root, _args, ctx) => ctx.viewer,
  }),
);
