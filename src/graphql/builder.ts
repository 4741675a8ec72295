import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { hasRole, type Context } from '../context.js';
import type PrismaTypes from '../generated/pothos-prisma-types.js';
import { getDatamodel } from '../generated/pothos-prisma-types.js';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../lib/errors.js';

/**
 * The schema builder: plugins and their options only; types live in src/modules/*.
 * Building the schema reads no environment and opens no connection (codegen imports it).
 */
export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { reader: boolean; trader: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  // Errors outermost, so failures of every later wrapper (authorization, input validation,
  // Prisma, dataloaders) can come back as typed union members; relay before scope auth so
  // auth checks see parsed global IDs; scope auth before anything that loads data.
  plugins: [ErrorsPlugin, RelayPlugin, ScopeAuthPlugin, ValidationPlugin, PrismaPlugin, DataloaderPlugin],
  scopeAuth: {
    authScopes: (ctx) => ({
      reader: hasRole(ctx.viewer, 'reader'),
      trader: hasRole(ctx.viewer, 'trader'),
      admin: hasRole(ctx.viewer, 'admin'),
    }),
    unauthorizedError: (_parent, ctx) =>
      ctx.viewer.anonymous
        ? new UnauthenticatedError('This operation needs an API key (Authorization: Bearer <key>)')
        : new ForbiddenError('Your API key does not have the role this operation needs'),
  },
  errors: { defaultTypes: [] },
  validation: {
    validationError: (failure) =>
      new ValidationError(
        failure.issues.map((issue) => ({
          path: (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)),
          message: issue.message,
        })),
      ),
  },
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
  },
});
