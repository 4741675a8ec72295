import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import type { App } from '../../src/app.js';

/**
 * Executes a typed document (from examples/, typed by codegen) through the app's HTTP
 * handler, as a client would: POST /graphql with JSON.
 */
export async function execute<TResult, TVariables>(
  app: App,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: ExecutionResult<TResult> }> {
  return post(app, { query: print(document), variables }, headers) as Promise<{
    status: number;
    body: ExecutionResult<TResult>;
  }>;
}

/** Posts a raw GraphQL request (for ill-formed or hostile queries the examples do not cover). */
export async function post(
  app: App,
  body: { query: string; variables?: unknown },
  headers: Record<string, string> = {},
): Promise<{ status: number; body: ExecutionResult<Record<string, unknown>> }> {
  const response = await app.fetch('http://quantql.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ExecutionResult<Record<string, unknown>> };
}
