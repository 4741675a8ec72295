import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * POST bodies must be JSON (or a GraphQL document as application/graphql). yoga also parses
 * form-urlencoded and multipart bodies, which a browser sends cross-site without a CORS
 * preflight: a page elsewhere could make a logged-in dashboard's browser run a mutation
 * (CSRF). This API has no uploads and no HTML forms, so those media types are refused (415).
 */
export function useJsonRequestsOnly(): Plugin {
  const accepted = /^application\/(json|graphql\+json|graphql)(\s*;|$)/i;
  return {
    onRequestParse({ request }) {
      if (request.method !== 'POST') return;
      const type = request.headers.get('content-type') ?? '';
      if (!accepted.test(type)) {
        throw new GraphQLError(`POST bodies must be application/json (got ${JSON.stringify(type.slice(0, 100))}).`, {
          extensions: { code: 'UNSUPPORTED_MEDIA_TYPE', http: { status: 415 } },
        });
      }
    },
  };
}

/** Longest error message a response carries. */
const MAX_MESSAGE = 500;

/**
 * Errors leave the server short and without internals: yoga's parser attaches the JSON
 * parser's own message (which quotes the body: a malformed 10 MB body came back whole) as
 * `extensions.originalError`; that goes, and any message is cut at MAX_MESSAGE characters.
 */
export function useBoundedErrors(): Plugin {
  const bound = (error: unknown) => {
    if (!(error instanceof GraphQLError)) return error;
    const { originalError: _dropped, ...extensions } = error.extensions as Record<string, unknown>;
    const message = error.message.length > MAX_MESSAGE ? `${error.message.slice(0, MAX_MESSAGE)}…` : error.message;
    if (message === error.message && !('originalError' in error.extensions)) return error;
    // The status yoga gave the error stands (its `spec` flag would turn a parse failure's 400
    // into 200 once the error passes through here).
    const http = extensions.http as { status?: number; spec?: boolean } | undefined;
    if (http?.spec) extensions.http = { ...http, spec: undefined };
    return new GraphQLError(message, { nodes: error.nodes, path: error.path, extensions });
  };
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors?.length) return;
      setResult({ ...result, errors: result.errors.map(bound) as GraphQLError[] });
    },
  };
}
