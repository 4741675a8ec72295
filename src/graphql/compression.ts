import { useContentEncoding } from '@whatwg-node/server';
import type { Plugin } from 'graphql-yoga';

/** Below this many bytes a response goes as it is: compressing costs more than it saves. */
const MIN_BYTES = 1024;

/**
 * Response compression (gzip, deflate or brotli, whichever the client accepts first), from
 * @whatwg-node/server's content-encoding plugin — which would also compress subscriptions'
 * event streams and multipart responses, buffering events until the compressor flushes.
 * Those, and small responses, are left as they are; requests with a compressed body are
 * accepted either way.
 */
export function useResponseCompression(): Plugin {
  const encoding = useContentEncoding<Record<string, unknown>>();
  return {
    ...encoding,
    onResponse(payload) {
      const type = payload.response.headers.get('content-type') ?? '';
      if (type.startsWith('text/event-stream') || type.startsWith('multipart/')) return;
      const length = Number(payload.response.headers.get('content-length') ?? Number.NaN);
      if (length < MIN_BYTES) return;
      return encoding.onResponse?.(payload);
    },
  };
}
