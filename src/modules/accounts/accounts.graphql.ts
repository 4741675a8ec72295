import { builder } from '../../graphql/builder.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { parseGlobalId } from '../../graphql/ids.js';
import type { CreatedApiKey } from './accounts.service.js';
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
    authScopes: { public: true },
    resolve: (_root, _args, ctx) => ctx.viewer,
  }),
);

const ApiKeyNode = builder.prismaNode('ApiKey', {
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

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  description: 'Who a new key acts for and what it may do.',
  fields: (t) => ({
    owner: t.string({ required: true, description: 'Owner the key acts for: 1-64 letters, digits, ".", "_", "@" or "-".' }),
    role: t.field({ type: RoleEnum, required: true, description: 'What the key may do.' }),
    label: t.string({ description: 'Free text to recognise the key by (at most 200 characters).' }),
  }),
});

const CreatedApiKeyRef = builder.objectRef<CreatedApiKey>('CreatedApiKey').implement({
  description: 'A new API key. `key` is the secret: it is shown here once and never again.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The secret to send as `Authorization: Bearer <key>`; store it now.' }),
    apiKey: t.prismaField({
      type: 'ApiKey',
      description: 'The stored key (prefix, owner, role; never the secret).',
      resolve: (query, created, _args, ctx) => ctx.services.accounts.getApiKey(created.id, query),
    }),
  }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKeyRef,
    description: 'Creates an API key (admin). The secret is in the answer only.',
    errors: { types: [ValidationError, ForbiddenError], directResult: true, union: { name: 'CreateApiKeyResult', description: 'The new key, or why none was created.' } },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true, description: 'Owner, role and label.' }) },
    authScopes: { admin: true },
    resolve: (_root, { input }, ctx) => ctx.services.accounts.createApiKey(input),
  }),
  revokeApiKey: t.field({
    type: ApiKeyNode,
    description: 'Revokes an API key (admin): every later request with it is refused, and its open subscriptions end.',
    errors: { types: [NotFoundError, ForbiddenError], directResult: true, union: { name: 'RevokeApiKeyResult', description: 'The revoked key, or why nothing was revoked.' } },
    args: { id: t.arg.id({ required: true, description: 'The key (global or raw id).' }) },
    authScopes: { admin: true },
    resolve: (_root, args, ctx) => ctx.services.accounts.revokeApiKeyById(parseGlobalId(args.id, 'ApiKey'), new Date()),
  }),
}));
