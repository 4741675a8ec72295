import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { App } from '../../src/app.js';

/**
 * Subscribes over Server-Sent Events through the app's fetch handler (as a browser's
 * EventSource/fetch would) and collects `next` payloads until the server completes the
 * stream or `until` says stop.
 */
export async function collectSse<T, V>(
  target: App | string,
  document: TypedDocumentNode<T, V>,
  variables: V,
  headers: Record<string, string>,
  until: (events: T[]) => boolean = () => false,
): Promise<{ events: T[]; errors: unknown[] }> {
  const init = {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  };
  const response = typeof target === 'string' ? await fetch(target, init) : await target.fetch('http://quantql.test/graphql', init);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: T[] = [];
  const errors: unknown[] = [];
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const chunk = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (\w+)/m.exec(chunk)?.[1];
        const data = /^data: (.*)$/m.exec(chunk)?.[1];
        if (event === 'complete') return { events, errors };
        if (event === 'next' && data) {
          const payload = JSON.parse(data) as { data?: T; errors?: unknown[] };
          if (payload.errors) errors.push(...payload.errors);
          if (payload.data) events.push(payload.data);
          if (until(events) || payload.errors) return { events, errors };
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return { events, errors };
}
