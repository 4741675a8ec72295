import { constants, createBrotliCompress } from 'node:zlib';
import { useContentEncoding } from '@whatwg-node/server';
import type { Plugin } from 'graphql-yoga';

/** Below this many bytes a response goes as it is: compressing costs more than it saves. */
const MIN_BYTES = 1024;
/**
 * Brotli quality. The plugin's CompressionStream uses zlib's default (11): a 100 KB
 * marketSummary answer took 154 ms to compress on the development VM against 18 ms with gzip —
 * a tenfold CPU cost any client can ask for with `Accept-Encoding: br`. At 5 brotli is about
 * as fast as gzip and still smaller.
 */
const BROTLI_QUALITY = 5;

type FetchAPI = Parameters<NonNullable<ReturnType<typeof useContentEncoding>['onResponse']>>[0]['fetchAPI'];
const tunedFetchAPIs = new WeakMap<FetchAPI, FetchAPI>();

/**
 * The server's fetch API with a CompressionStream whose brotli has BROTLI_QUALITY (the
 * plugin has no option for it); one per fetch API, so the plugin's per-API cache of supported
 * encodings still works.
 */
function withTunedBrotli(fetchAPI: FetchAPI): FetchAPI {
  let tuned = tunedFetchAPIs.get(fetchAPI);
  if (!tuned) {
    const Base = fetchAPI.CompressionStream;
    // A constructor returning another object: `new` yields that object.
    function CompressionStream(format: CompressionFormat | 'br') {
      if (format !== 'br') return new Base(format as CompressionFormat);
      return new fetchAPI.TransformStream(createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }) as never);
    }
    tuned = Object.assign(Object.create(fetchAPI) as FetchAPI, { CompressionStream: CompressionStream as unknown as typeof Base });
    tunedFetchAPIs.set(fetchAPI, tuned);
  }
  return tuned;
}

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
      return encoding.onResponse?.({ ...payload, fetchAPI: withTunedBrotli(payload.fetchAPI) });
    },
  };
}
