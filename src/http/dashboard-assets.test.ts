import { createServer, request, type Server } from 'node:http';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { withDashboard } from './dashboard-assets.js';

/** The dashboard's files in front of the app, built or not (the app here answers 'app'). */
describe('withDashboard', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function serve(dir: string): Promise<string> {
    const server = createServer(withDashboard((_req, res) => res.end('app'), dir));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  it('not built: / says how to build it (503), everything else is the app’s — nothing throws', async () => {
    const base = await serve(join(tmpdir(), 'quantql-no-such-dashboard'));
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toMatch(/npm run build:dashboard/);
    expect((await fetch(`${base}/assets/main.js`)).status).toBe(404);
    expect(await (await fetch(`${base}/graphql`)).text()).toBe('app');
  });

  it('built: the page uncached, hashed assets immutable, unknown assets 404, other paths the app’s', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quantql-dashboard-'));
    try {
      await mkdir(join(dir, 'assets'));
      await writeFile(join(dir, 'index.html'), '<!doctype html><title>q</title>');
      await writeFile(join(dir, 'assets', 'main-ABC.js'), 'export {};');
      const base = await serve(dir);
      const page = await fetch(`${base}/`);
      expect([page.status, page.headers.get('cache-control'), await page.text()]).toEqual([200, 'no-cache', '<!doctype html><title>q</title>']);
      const asset = await fetch(`${base}/assets/main-ABC.js`);
      expect([asset.status, asset.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable']);
      // A path that climbs out of the folder, sent as is (fetch would normalise it): not served.
      const climbing = await new Promise<number>((resolve, reject) =>
        request(`${base}/`, { path: '/assets/../../../../etc/passwd' }, (res) => resolve(res.resume().statusCode!)).on('error', reject).end(),
      );
      expect(climbing).toBe(404);
      expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
      expect(await (await fetch(`${base}/health`)).text()).toBe('app');
      expect(await (await fetch(`${base}/`, { method: 'POST' })).text()).toBe('app');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
