import { randomUUID } from 'node:crypto';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError } from 'graphql';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { Context, Viewer } from './context.js';
import type { Deps } from './deps.js';
import { schema } from './graphql/schema.js';
import { pingDatabase } from './db/health.js';
import { DomainError } from './lib/errors.js';
import { InvalidApiKeyError } from './modules/accounts/accounts.errors.js';
import { ANONYMOUS_VIEWER, authenticateApiKey, readApiKey } from './modules/accounts/accounts.service.js';

export type App = YogaServerInstance<Record<string, unknown>, Context>;

/**
 * The HTTP application: GraphQL at /graphql (GraphiQL in the browser), /health (process is
 * up), /ready (database answers; 503 with the reason otherwise). No listen here: tests call
 * app.fetch, main.ts mounts it on a node server.
 */
export function createApp(deps: Deps): App {
  const { config, logger } = deps;
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: config.graphiql ? { title: 'quantql', shouldPersistHeaders: true } : false,
    logging: logger,
    // Expected failures are DomainErrors or GraphQLErrors we create; anything else is a bug
    // or an outage: the client sees "Unexpected error." and the log has the details.
    maskedErrors: {
      maskError(error, message) {
        const original = (error as GraphQLError).originalError;
        if (original instanceof DomainError) {
          return new GraphQLError(original.message, {
            nodes: (error as GraphQLError).nodes,
            path: (error as GraphQLError).path,
            extensions: { code: original.code },
          });
        }
        // GraphQLErrors are made on purpose (auth, parse, validation, limits): safe to show.
        if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) return error;
        logger.error({ err: original ?? error }, 'unexpected error in GraphQL execution');
        return new GraphQLError(message, {
          nodes: (error as GraphQLError).nodes,
          path: (error as GraphQLError).path,
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
      },
    },
    context: async ({ request }) => ({
      ...deps,
      requestId: request.headers.get('x-request-id') ?? randomUUID(),
      viewer: await resolveViewer(deps, request),
    }),
    plugins: [
      EnvelopArmorPlugin({
        maxDepth: { n: config.GRAPHQL_MAX_DEPTH, ignoreIntrospection: true },
        costLimit: { maxCost: config.GRAPHQL_MAX_COST, ignoreIntrospection: true },
        maxAliases: { n: config.GRAPHQL_MAX_ALIASES },
        maxTokens: { n: config.GRAPHQL_MAX_TOKENS },
        maxDirectives: { n: 50 },
        blockFieldSuggestion: { enabled: config.NODE_ENV === 'production' },
      }),
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          const result = await pingDatabase(deps.db.pool);
          if (result.ok) return true;
          return new Response(JSON.stringify({ status: 'unavailable', reason: result.reason }), {
            status: 503,
            headers: { 'content-type': 'application/json' },
          });
        },
      }),
    ],
  });
}

async function resolveViewer(deps: Deps, request: Request): Promise<Viewer> {
  const key = readApiKey(request.headers);
  if (!key) {
    if (deps.config.authAnonymousRead) return ANONYMOUS_VIEWER;
    throw unauthenticated('An API key is required: send Authorization: Bearer <key>');
  }
  try {
    return await authenticateApiKey(deps.accounts, key, new Date());
  } catch (error) {
    if (error instanceof InvalidApiKeyError) throw unauthenticated(error.message);
    throw error;
  }
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } },
  });
}
