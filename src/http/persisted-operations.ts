import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';

/**
 * The operations a GRAPHQL_PERSISTED_ONLY deployment runs: codegen's
 * `examples/generated/persisted-documents.json` ("sha256:<hex>" → document), written by
 * `npm run codegen` from examples/ — the same typed documents the tests and clients use.
 */
export const PERSISTED_DOCUMENTS_FILE = new URL('../../examples/generated/persisted-documents.json', import.meta.url);

export function loadPersistedOperations(file: URL | string = PERSISTED_DOCUMENTS_FILE): Readonly<Record<string, string>> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
}

/**
 * Only the persisted operations run (yoga's persisted-operations plugin): a client sends
 * `extensions.persistedQuery.sha256Hash` (the hash with or without its "sha256:" prefix) or
 * `documentId`, never a document. Anything else is refused before parsing, with a code.
 */
export function usePersistedOnly(operations: Readonly<Record<string, string>>): Plugin {
  const error = (message: string, code: string) => ({ message, extensions: { code, http: { status: 400 } } });
  return usePersistedOperations({
    allowArbitraryOperations: false,
    getPersistedOperation: (key) => operations[key] ?? operations[`sha256:${key}`] ?? null,
    customErrors: {
      persistedQueryOnly: error('Only persisted operations run here (GRAPHQL_PERSISTED_ONLY): send extensions.persistedQuery.sha256Hash of an operation in examples/.', 'PERSISTED_QUERY_ONLY'),
      notFound: error('Unknown persisted operation: its hash is not among the operations this deployment runs.', 'PERSISTED_QUERY_NOT_FOUND'),
      keyNotFound: error('Send the persisted operation’s hash as extensions.persistedQuery.sha256Hash.', 'PERSISTED_QUERY_NOT_FOUND'),
    },
  });
}
