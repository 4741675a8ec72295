import { builder } from '../../graphql/builder.js';
import { assertPageSize, pageOptions } from '../../graphql/pagination.js';
import type { Viewer } from './access.js';

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

builder.prismaNode('ApiKey', {
  // node(id:) of a missing or invisible row is null, not an error.
  nullable: true,
  description: 'An API key (the secret itself is never stored or shown again).',
  id: { field: 'id' },
  // Type-level scope: also guards `node(id:)` lookups of keys.
  authScopes: { admin: true },
  fields: (t) => ({
    owner: t.exposeString('owner', { description: 'Owner the key acts for.' }),
    role: t.field({ type: RoleEnum, resolve: (k) => k.role, description: 'Role of the key.' }),
    label: t.exposeString('label', { nullable: true, description: 'Free-text label given at creation.' }),
    prefix: t.exposeString('prefix', { description: 'Public prefix identifying the key in logs and the CLI.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the key was created.' }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Last authenticated request (recorded at most once a minute).',
    }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'When the key was revoked.' }),
  }),
});

builder.queryField('apiKeys', (t) =>
  t.prismaConnection({
    type: 'ApiKey',
    cursor: 'id',
    description: 'Every API key, oldest first (admin).',
    authScopes: { admin: true },
    ...pageOptions(50),
    resolve: (query, _root, args, ctx) => {
      assertPageSize(args, ctx);
      return ctx.services.accounts.listApiKeyPage(query);
    },
  }),
);
