import { createServer, type IncomingMessage, type Server } from 'node:http';
import { GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { App } from './app.js';
import { withDashboard } from './http/dashboard-assets.js';
import { DomainError } from './lib/errors.js';
import { WorkInFlight } from './lib/work-in-flight.js';

/** Thrown when the HTTP port cannot be bound; main.ts turns it into a one-line message. */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

export interface Listening {
  server: Server;
  close(): Promise<void>;
}

/**
 * Mounts the app on a node HTTP server — GraphQL over HTTP and SSE from yoga, graphql-ws on
 * the same /graphql path, the dashboard at / — and listens. Resolves once bound.
 */
export async function listen(app: App, host: string, port: number): Promise<Listening> {
  const server = createServer(withDashboard(app));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use (is another quantql running? set PORT to use another port)`
          : error.code === 'EACCES'
            ? `not allowed to listen on ${host}:${port}`
            : error.message;
      reject(new ListenError(reason, error.code));
    });
    server.listen(port, host, () => resolve());
  });
  const wsServer = new WebSocketServer({ server, path: app.graphqlEndpoint });
  const streams = new WorkInFlight();
  const ws = attachGraphqlWs(app, wsServer, streams);
  return {
    server,
    async close() {
      // Streams ended by the caller (endStreams) send their last message before the sockets
      // close with 1001; a stream that does not end in time is cut by the close.
      await Promise.race([streams.whenIdle(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      await ws.dispose();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

/**
 * graphql-ws through yoga's envelop (same schema, context, limits and auth). The API key
 * comes from connectionParams ({ authorization: "Bearer …" }) or the upgrade request, and is
 * checked when the socket connects: a missing or bad key is closed with 4403 before
 * `connection_ack`, and again per operation (a key revoked while connected stops working).
 *
 * Every operation type runs (queries and mutations too, as the protocol allows); a request
 * the server refuses — syntax, validation, limits, auth — is answered with its errors for
 * that operation, never by closing the socket (graphql-ws closes it with 4500 on a throw).
 */
function attachGraphqlWs(app: App, wsServer: WebSocketServer, streams: WorkInFlight) {
  type Root = { execute: (a: ExecutionArgs) => unknown; subscribe: (a: ExecutionArgs) => unknown };
  type WsContext = { connectionParams?: Readonly<Record<string, unknown>>; extra: { request: IncomingMessage } };

  /** The request an operation is authenticated and limited as: a POST with the socket's key. */
  const requestOf = (ctx: WsContext) => {
    const connectionParams = (ctx.connectionParams ?? {}) as Record<string, unknown>;
    const headers = new Headers({ 'content-type': 'application/json' });
    const auth = connectionParams.authorization ?? connectionParams.Authorization ?? ctx.extra.request.headers.authorization;
    if (typeof auth === 'string') headers.set('authorization', auth);
    const apiKey = connectionParams['x-api-key'] ?? ctx.extra.request.headers['x-api-key'];
    if (typeof apiKey === 'string') headers.set('x-api-key', apiKey);
    // POST: yoga refuses mutations from GET requests (a CSRF guard that does not apply to a
    // socket the client opened and authenticated itself).
    return new Request('http://quantql.ws/graphql', { method: 'POST', headers });
  };

  return useServer(
    {
      execute: (args) => (args.rootValue as Root).execute(args) as never,
      subscribe: async (args) => {
        const result = (await (args.rootValue as Root).subscribe(args)) as AsyncIterable<ExecutionResult> | ExecutionResult;
        return (Symbol.asyncIterator in result ? endingWithErrors(result, streams) : result) as never;
      },
      onConnect: async (ctx) => {
        try {
          await app.getEnveloped({ ...ctx, request: requestOf(ctx) }).contextFactory();
          return true;
        } catch (error) {
          if (error instanceof GraphQLError) return false; // 4403 Forbidden, no connection_ack
          throw error;
        }
      },
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = app.getEnveloped({ ...ctx, request: requestOf(ctx), params });
        try {
          const contextValue = await contextFactory();
          const args = {
            schema,
            operationName: params.operationName,
            document: parse(params.query),
            variableValues: params.variables,
            contextValue,
            rootValue: { execute, subscribe },
          };
          const errors = validate(args.schema, args.document);
          if (errors.length) return errors;
          return args;
        } catch (error) {
          // An invalid key, a syntax error, a limit: the operation's answer, not the socket's end.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
      },
    },
    wsServer,
  );
}

/**
 * A subscription stream whose expected end — a DomainError or GraphQLError it throws (key
 * revoked, server shutting down) — is delivered as its last result, with the code, as
 * SSE delivers it; graphql-ws would close the whole socket with 4500 on the throw.
 * Counted in `streams` while open.
 */
async function* endingWithErrors(stream: AsyncIterable<ExecutionResult>, streams: WorkInFlight): AsyncGenerator<ExecutionResult> {
  streams.begin();
  try {
    yield* stream;
  } catch (error) {
    if (error instanceof GraphQLError) yield { errors: [error] };
    else if (error instanceof DomainError) yield { errors: [new GraphQLError(error.message, { extensions: { code: error.code } })] };
    else throw error;
  } finally {
    streams.end();
  }
}
