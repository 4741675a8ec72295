import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { print } from 'graphql';
import { createApp, type App } from '../../src/app.js';
import type { Runtime } from '../../src/deps.js';
import { CandlesDocument } from '../../examples/generated/graphql.js';
import { randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';

/**
 * Responses are compressed when the client accepts it (gzip or brotli), except event
 * streams (subscriptions must not wait for a compressor to flush) and small answers.
 */
const HOUR = 3_600_000;
const START = Date.UTC(2023, 0, 2);
let deps: Runtime;
let app: App;
const symbol = uniqueName('GZ');

beforeAll(async () => {
  deps = await createTestDeps({ AUTH_ANONYMOUS_READ: 'true' });
  app = createApp(deps);
  await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', candles: randomCandles(8, 10_000, START, HOUR) });
});
afterAll(async () => deps.close());

async function candles(encoding: string | null) {
  const response = await app.fetch('http://quantql.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(encoding ? { 'accept-encoding': encoding } : {}) },
    body: JSON.stringify({ query: print(CandlesDocument), variables: { symbol, interval: '1h', from: new Date(START).toISOString(), to: new Date(START + 10_000 * HOUR).toISOString() } }),
  });
  return { encoding: response.headers.get('content-encoding'), body: Buffer.from(await response.arrayBuffer()) };
}

describe('response compression', () => {
  it('compresses a 10,000-candle response with gzip or brotli, to the same JSON', async () => {
    const plain = await candles(null);
    expect(plain.encoding).toBeNull();
    const json = JSON.parse(plain.body.toString());
    expect(json.data.candles.candles).toHaveLength(10_000);
    const gzip = await candles('gzip');
    expect(gzip.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.body).toString())).toEqual(json);
    expect(gzip.body.length).toBeLessThan(plain.body.length / 2);
    const br = await candles('br');
    expect(br.encoding).toBe('br');
    expect(JSON.parse(brotliDecompressSync(br.body).toString())).toEqual(json);
    expect(br.body.length).toBeLessThan(plain.body.length / 2);
    // Browsers list several ("gzip, deflate, br"): the first one the server offers is used.
    expect((await candles('gzip, deflate, br')).encoding).toBe('gzip');
  });

  it('leaves small answers and event streams as they are', async () => {
    const small = await app.fetch('http://quantql.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
      body: JSON.stringify({ query: '{ systemInfo { version } }' }),
    });
    expect(small.headers.get('content-encoding')).toBeNull();
    expect((await small.json()).data.systemInfo.version).toEqual(expect.any(String));
    const stream = await app.fetch('http://quantql.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'accept-encoding': 'gzip' },
      body: JSON.stringify({ query: 'subscription { backtestProgress(id: "00000000-0000-0000-0000-000000000000") { status } }' }),
    });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(stream.headers.get('content-encoding')).toBe('none'); // yoga's own marker for proxies: not compressed
    expect(await stream.text()).toMatch(/event: next|event: complete/);
  });
});
