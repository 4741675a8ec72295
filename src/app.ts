import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { createYoga, useReadinessCheck, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config/env.js';
import { createLoaders, type Context, type Services } from './context.js';
import { pingDatabase } from './db/health.js';
import type { Database } from './db/pool.js';
import type { PrismaClient } from './db/prisma.js';
import type { Logger } from './lib/logger.js';
import { useResponseCompression } from './http/compression.js';
import { createErrorHandling } from './http/errors.js';
import { useRequestLimits } from './http/limits.js';
import { useMetrics } from './http/metrics.js';
import { useSlowOperationLog } from './http/operation-log.js';
import { loadPersistedOperations, usePersistedOnly } from './http/persisted-operations.js';
import { useBoundedErrors, useJsonRequestsOnly } from './http/request-hygiene.js';
import { useSharedEventExecution } from './http/shared-event-execution.js';
import { useTextInputGuard } from './http/text-input-guard.js';
import { schema } from './graphql/schema.js';
import { ANONYMOUS_VIEWER, type Viewer } from './modules/accounts/access.js';
import { InvalidApiKeyError } from './modules/accounts/accounts.errors.js';
import { readApiKey } from './modules/accounts/accounts.service.js';

export type App = YogaServerInstance<Record<string, unknown>, Context>;

/** What the HTTP application is built from (a Runtime, in main.ts and the tests). */
export interface AppDeps {
  config: Pick<Config, 'graphql' | 'auth' | 'market' | 'log' | 'metrics'>;
  logger: Logger;
  services: Services;
  prisma: PrismaClient;
  db: Database;
  /** With GRAPHQL_PERSISTED_ONLY: hash → document (defaults to codegen's persisted-documents.json). */
  persistedOperations?: Readonly<Record<string, string>>;
}

/**
 * The HTTP application: GraphQL at /graphql (GraphiQL in the browser), /health (process is
 * up), /ready (database answers; 503 with the reason otherwise). No listen here: tests call
 * app.fetch, main.ts mounts it on a node server.
 */
export function createApp(runtime: AppDeps): App {
  const { config, logger, services } = runtime;
  const limits = config.graphql;
  const errors = createErrorHandling(logger);
  const metrics = useMetrics(
    { db: runtime.db, queueStatus: () => services.system.queueStatus(), cacheStats: () => services.marketData.candleCacheStats() },
    { token: config.metrics.token },
  );
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: limits.graphiql ? { title: 'quantql', shouldPersistHeaders: true } : false,
    logging: errors.yogaLogger,
    // yoga's own limit (25 MB by default): over it 413 REQUEST_ENTITY_TOO_LARGE, chunked bodies included.
    maxRequestBodySize: limits.maxBodyBytes,
    maskedErrors: { maskError: errors.maskError },
    context: async ({ request }): Promise<Context> => ({
      requestId: request.headers.get('x-request-id') ?? randomUUID(),
      viewer: await resolveViewer(runtime, request),
      services,
      loaders: createLoaders(services, runtime.prisma),
      metrics: metrics.source,
    }),
    plugins: [
      useResponseCompression(),
      ...useRequestLimits(limits, config.market),
      ...metrics.plugins,
      useSlowOperationLog(logger, runtime.config.log.slowOperationMs),
      ...(limits.persistedOnly ? [usePersistedOnly(runtime.persistedOperations ?? loadPersistedOperations())] : []),
      useJsonRequestsOnly(),
      useBoundedErrors(),
      useTextInputGuard(),
      useSharedEventExecution(),
      useReadinessCheck({
        endpoint: '/ready',
        // The database down: 503, take this replica out of rotation. The queue (Redis) down:
        // still 200 — queries answer — but the body says what does not work meanwhile.
        check: async () => {
          const [database, queue] = await Promise.all([pingDatabase(runtime.db.pool), services.system.pingQueue()]);
          const json = (status: number, body: object) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
          if (!database.ok) return json(503, { status: 'unavailable', reason: database.reason });
          if (!queue.ok) return json(200, { status: 'degraded', reason: `${queue.reason}: backtest submissions and live updates are unavailable; queries answer` });
          return json(200, { status: 'ready' });
        },
      }),
    ],
  });
}

async function resolveViewer(runtime: Pick<AppDeps, 'config' | 'services'>, request: Request): Promise<Viewer> {
  const key = readApiKey(request.headers);
  if (!key) {
    if (runtime.config.auth.anonymousRead) return ANONYMOUS_VIEWER;
    throw unauthenticated('An API key is required: send Authorization: Bearer <key>');
  }
  try {
    return await runtime.services.accounts.authenticate(key, new Date());
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
