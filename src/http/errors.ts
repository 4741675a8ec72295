import { GraphQLError } from 'graphql';
import type { YogaLogger } from 'graphql-yoga';
import { DomainError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/**
 * What a client sees of an error, and what the log gets.
 *
 * Expected failures are DomainErrors or GraphQLErrors made on purpose (auth, parse,
 * validation, limits, input graphql-js or Pothos refused): the client gets the message and a
 * code, the log one line at info without a stack — the client's mistake is not the
 * operator's alarm (issue 13, finding 10). Anything else is a bug or an outage: the client
 * sees "Unexpected error." (INTERNAL_SERVER_ERROR), the log the error with its stack at error.
 */
export function createErrorHandling(logger: Logger) {
  /** Errors already logged at error by maskError: yoga logs them again otherwise. */
  const logged = new WeakSet<object>();

  function maskError(error: unknown, message: string): Error {
    const graphqlError = error instanceof GraphQLError ? error : null;
    const at = { nodes: graphqlError?.nodes, path: graphqlError?.path };
    const cause = graphqlError?.originalError ?? error;
    if (cause instanceof DomainError) return new GraphQLError(cause.message, { ...at, extensions: { code: cause.code } });
    if (graphqlError && (cause === graphqlError || cause instanceof GraphQLError)) {
      if (graphqlError.extensions.code) return graphqlError;
      return new GraphQLError(graphqlError.message, { ...at, extensions: { ...graphqlError.extensions, code: 'BAD_USER_INPUT' } });
    }
    if (isDatabaseUnavailable(cause)) {
      // An outage, not a bug: one warn line without a stack, and a status a client retries on.
      logger.warn({ error: (cause as Error).message }, 'database unavailable');
      for (const e of [cause, error]) if (e && typeof e === 'object') logged.add(e);
      return new GraphQLError('The database is unavailable right now; try again shortly.', {
        ...at,
        extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503, headers: { 'retry-after': '5' } } },
      });
    }
    if (isStatementTimeout(cause)) {
      // Too much asked of the database (or a lock held too long): the client's to narrow.
      logger.warn({ error: (cause as Error).message, path: graphqlError?.path?.join('.') }, 'statement timeout');
      for (const e of [cause, error]) if (e && typeof e === 'object') logged.add(e);
      return new GraphQLError(
        'The database cancelled this request at its statement timeout; ask for less at once (a shorter range, fewer items or fields) or try again later.',
        { ...at, extensions: { code: 'QUERY_TIMEOUT' } },
      );
    }
    logger.error({ err: cause }, 'unexpected error in GraphQL execution');
    for (const e of [cause, error]) if (e && typeof e === 'object') logged.add(e);
    return new GraphQLError(message, { ...at, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  }

  /** yoga's logger: pino, with yoga's own error lines for client mistakes at info. */
  const yogaLogger: YogaLogger = {
    debug: (...args: unknown[]) => logger.debug(...(args as [string])),
    info: (...args: unknown[]) => logger.info(...(args as [string])),
    warn: (...args: unknown[]) => logger.warn(...(args as [string])),
    error: (...args: unknown[]) => {
      const [first] = args;
      if (first && typeof first === 'object' && logged.has(first)) return;
      const code = clientCode(first);
      if (code !== null) {
        logger.info({ code, error: (first as Error).message }, 'request refused');
        return;
      }
      logger.error(...(args as [string]));
    },
  };

  return { maskError, yogaLogger };
}

/** The code of an expected failure (shown to the client as is), or null for anything else. */
function clientCode(error: unknown): string | null {
  if (error instanceof DomainError) return error.code;
  if (!(error instanceof GraphQLError)) return null;
  const original = error.originalError;
  if (original instanceof DomainError) return original.code;
  // Made on purpose; those without a code are client input graphql-js or Pothos refused
  // while executing (a variable of the wrong type, an invalid cursor or global id).
  if (!original || original instanceof GraphQLError) return typeof error.extensions.code === 'string' ? error.extensions.code : 'BAD_USER_INPUT';
  return null;
}

/**
 * pg's, Prisma's and Node's ways of saying the database cannot be reached or went away:
 * connection refused/reset, a pool checkout timing out, a terminated connection, Prisma's
 * P1001/P1002/P1017, PostgreSQL's connection-exception (08xxx) and shutdown (57P01-57P03)
 * SQLSTATEs.
 */
function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const codes = ['P1001', 'P1002', 'P1017', '57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'];
  if (typeof code === 'string' && (/^08/.test(code) || codes.includes(code))) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/i.test(error.message);
}

/**
 * PostgreSQL cancelled a statement at statement_timeout (SQLSTATE 57014 with its message —
 * the same code also means a cancel by request), as pg reports it or Prisma wraps it.
 */
function isStatementTimeout(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (/canceling statement due to statement timeout/i.test(e.message)) return true;
  }
  return false;
}
