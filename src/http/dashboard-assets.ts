import { existsSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

/** Where scripts/build-dashboard.mjs writes the dashboard (from src/http or dist/http). */
const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard', import.meta.url));

/**
 * Serves the dashboard at `/` (index.html, never cached: it names the current build's
 * assets) and `/assets/*` (content-hashed names, so cached for a year as immutable) in front
 * of `next` — everything else (GraphQL, /health, /ready, /metrics) is the app's. sirv does the
 * static serving (ETags, ranges, HEAD, no path escapes). Not built yet: `/` says how.
 */
export function withDashboard(next: RequestListener, dir = DASHBOARD_DIR): RequestListener {
  // sirv lists the folder when it is created (and throws if there is none): only when built.
  const assets = existsSync(`${dir}/index.html`)
    ? sirv(dir, {
        etag: true,
        setHeaders: (res, pathname) =>
          res.setHeader('cache-control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
      })
    : null;
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const isDashboard = (req.method === 'GET' || req.method === 'HEAD') && (path === '/' || path === '/index.html' || path.startsWith('/assets/'));
    if (!isDashboard) return next(req, res);
    if (!assets) {
      res.writeHead(path === '/' ? 503 : 404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(path === '/' ? 'The dashboard is not built: run `npm run build:dashboard` (npm start does) and reload.\nThe API is at /graphql.\n' : 'Not found\n');
      return;
    }
    assets(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found\n');
    });
  };
}
