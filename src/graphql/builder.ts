import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import type { Context } from '../context.js';
import type PrismaTypes from '../generated/pothos-prisma-types.js';
import { getDatamodel } from '../generated/pothos-prisma-types.js';
import { ForbiddenError, UnauthenticatedError } from '../lib/errors.js';
import { hasRole } from '../modules/accounts/access.js';

/**
 * The schema builder: plugins and their options only; types live in src/modules/*.
 * Building the schema reads no environment and opens no connection (codegen imports it).
 */
export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { public: boolean; reader: boolean; trader: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  // Errors outermost, so failures of every later wrapper (authorization, Prisma) can come
  // back as typed union members; relay before scope auth so auth checks see parsed global
  // IDs; scope auth before anything that loads data.
  plugins: [ErrorsPlugin, RelayPlugin, ScopeAuthPlugin, PrismaPlugin],
  scopeAuth: {
    // `public`: anyone the server admits (the rule of `viewer`), stated so that every root
    // field names its rule (test/platform/authorization.test.ts walks the schema for it).
    authScopes: (ctx) => ({
      public: true,
      reader: hasRole(ctx.viewer, 'reader'),
      trader: hasRole(ctx.viewer, 'trader'),
      admin: hasRole(ctx.viewer, 'admin'),
    }),
    unauthorizedError: (_parent, ctx, _info, result) =>
      ctx.viewer.anonymous
        ? new UnauthenticatedError('This operation needs an API key (Authorization: Bearer <key>)')
        : new ForbiddenError(`This operation needs the ${neededRoles(result.failure).join(' or ') || 'right'} role; your API key has the ${ctx.viewer.role} role`),
  },
  errors: { defaultTypes: [] },
  prisma: {
    // The one use of the request's Prisma client: selections (`...query`) and relations.
    client: (ctx) => ctx.loaders.relations,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  // Descriptions of what the relay plugin generates (connections, edges, page info, node):
  // GraphiQL documents every type and field (test/platform/schema-descriptions.test.ts).
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    idFieldOptions: { description: 'Global id: pass it to node(id:) or to any argument taking this type’s id.' },
    nodeTypeOptions: { description: 'An object with a global id, fetchable with node(id:).' },
    // node / nodes are src/graphql/node-lookup.ts (ids that are not ids answer null there).
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    pageInfoTypeOptions: { description: 'Where a page sits in its list (Relay cursor pagination).' },
    hasNextPageFieldOptions: { description: 'More items follow this page (ask with after: endCursor).' },
    hasPreviousPageFieldOptions: { description: 'Items precede this page (ask with before: startCursor).' },
    startCursorFieldOptions: { description: 'Cursor of the first item of the page.' },
    endCursorFieldOptions: { description: 'Cursor of the last item of the page.' },
    defaultConnectionTypeOptions: { description: 'A page of a list (Relay connection).' },
    defaultEdgeTypeOptions: { description: 'An item of a page and its cursor.' },
    edgesFieldOptions: { description: 'The items of this page, each with its cursor.' },
    pageInfoFieldOptions: { description: 'Cursors and whether more pages exist.' },
    nodeFieldOptions: { description: 'The item.' },
    cursorFieldOptions: { description: 'Opaque position of the item, for after/before.' },
    firstArgOptions: { description: 'Items after the cursor `after` (at most GRAPHQL_MAX_PAGE_SIZE).' },
    lastArgOptions: { description: 'Items before the cursor `before` (at most GRAPHQL_MAX_PAGE_SIZE).' },
    afterArgOptions: { description: 'Return items after this cursor (an endCursor).' },
    beforeArgOptions: { description: 'Return items before this cursor (a startCursor).' },
  },
});

/** The roles (scopes) a failed authorization asked for, so a refusal can name them. */
function neededRoles(failure: AuthFailure): string[] {
  if (failure.kind === AuthScopeFailureType.AuthScope) return [failure.scope];
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) return [...new Set(failure.failures.flatMap(neededRoles))];
  return [];
}
