import { cacheExchange, Client, fetchExchange, type CombinedError } from '@urql/core';

/**
 * The dashboard talks to the API exactly as any client does: GraphQL over HTTP at /graphql,
 * (subscriptions as server-sent events), with the caller's API key as a bearer token (anonymous when none is set and the server
 * allows it). A new key means a new client, so no cached answer of the old key is shown.
 */
export function createApiClient(apiKey: string | null): Client {
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  // Subscriptions go over the same fetch as everything else: yoga answers them as SSE.
  return new Client({ url: '/graphql', fetchOptions: { headers }, fetchSubscriptions: true, exchanges: [cacheExchange, fetchExchange] });
}

const KEY_STORAGE = 'quantql.apiKey';

export const storedApiKey = (): string | null => localStorage.getItem(KEY_STORAGE);

export function storeApiKey(key: string | null): void {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

/** What to tell the user about a failed request: the API's own message, with a hint for auth. */
export function describeError(error: CombinedError): string {
  const first = error.graphQLErrors[0];
  if (first?.extensions?.code === 'UNAUTHENTICATED') return `${first.message} — enter an API key above.`;
  if (first?.extensions?.code === 'FORBIDDEN') return `${first.message} — your key's role does not allow this.`;
  if (first) return first.message;
  return error.networkError ? `The API could not be reached (${error.networkError.message}).` : error.message;
}

/** A typed error's field issues ({ path, message }) keyed by their path's last part. */
export function issuesByField(issues: ReadonlyArray<{ path: readonly string[]; message: string }> | undefined): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const issue of issues ?? []) byField[issue.path[issue.path.length - 1] ?? ''] = issue.message;
  return byField;
}
