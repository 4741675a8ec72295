import { connect } from 'node:net';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';

/**
 * A lean SSE subscriber for the fan-out bench: one TCP connection speaking HTTP/1.1 itself
 * (request line, headers, a chunked response), the stream split into SSE events and JSON
 * parsed only for `next` events. Why not fetch or node:http: on this 2-core machine the
 * bench's 1,000 subscribers run beside the server they measure, and their client cost is
 * CPU the server does not get — measured on a bare node:http SSE server with 1,000
 * subscribers (docs/performance.md): p99 158–190 ms with a node:http client, 68–91 ms with
 * this one; fetch's web streams cost more again. Like a dashboard, it reads until the
 * server completes the stream. The connection stays open (idle, as keep-alive leaves it)
 * until `close()`: closing a thousand sockets while later ones still wait for their event
 * would be the client's work measured as the server's.
 */
export interface SseSubscription<T> {
  /** Every `next` payload's data, once the server sent `complete` and ended the response. */
  readonly done: Promise<T[]>;
  close(): void;
}

export function subscribeSse<T, V>(
  url: string,
  document: TypedDocumentNode<T, V>,
  variables: V,
  headers: Readonly<Record<string, string>>,
  onEvent: (data: T) => void,
): SseSubscription<T> {
  const { hostname, port, pathname } = new URL(url);
  const body = JSON.stringify({ query: print(document), variables });
  const head = [
    `POST ${pathname} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    ...Object.entries({ ...headers, 'content-type': 'application/json', accept: 'text/event-stream', 'content-length': String(Buffer.byteLength(body)) }).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  let socket: ReturnType<typeof connect>;
  const done = new Promise<T[]>((resolve, reject) => {
    const events: T[] = [];
    socket = connect(Number(port), hostname, () => socket.write(head + body));
    socket.setEncoding('latin1');
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    let raw = ''; // bytes not yet decoded: the head, then chunk framing
    let headDone = false;
    let text = ''; // decoded body not yet split into events
    const onEvents = () => {
      let cut: number;
      while ((cut = text.indexOf('\n\n')) >= 0) {
        const event = text.slice(0, cut);
        text = text.slice(cut + 2);
        if (event === 'event: complete\ndata:') return true;
        if (!event.startsWith('event: next\ndata: ')) continue;
        const payload = JSON.parse(Buffer.from(event.slice(18), 'latin1').toString('utf8')) as { data?: T; errors?: unknown[] };
        if (payload.errors || !payload.data) throw new Error(`subscription errors: ${JSON.stringify(payload.errors)}`);
        events.push(payload.data);
        onEvent(payload.data);
      }
      return false;
    };
    socket.on('data', (chunk: string) => {
      raw += chunk;
      try {
        if (!headDone) {
          const end = raw.indexOf('\r\n\r\n');
          if (end < 0) return;
          const status = raw.slice(0, raw.indexOf('\r\n'));
          if (!/^HTTP\/1\.1 200 /.test(status)) throw new Error(`SSE subscription answered ${status}`);
          if (!/\r\ntransfer-encoding: chunked\r\n/i.test(raw.slice(0, end + 2))) throw new Error('SSE response is not chunked');
          headDone = true;
          raw = raw.slice(end + 4);
        }
        for (;;) {
          const line = raw.indexOf('\r\n');
          if (line < 0) break;
          const size = parseInt(raw.slice(0, line), 16);
          if (raw.length < line + 2 + size + 2) break;
          if (size === 0) {
            onEvents();
            resolve(events);
            return;
          }
          text += raw.slice(line + 2, line + 2 + size);
          raw = raw.slice(line + 2 + size + 2);
        }
        if (onEvents()) resolve(events);
      } catch (error) {
        fail(error as Error);
      }
    });
    socket.on('error', fail);
    socket.on('close', () => reject(new Error('SSE stream closed before it completed')));
  });
  return { done, close: () => socket.destroy() };
}
