// Builds the dashboard (dashboard/) into dist/dashboard with esbuild: one hashed script and
// stylesheet under assets/ (served as immutable) and index.html pointing at them (served
// uncached). `npm start` runs it first and `npm run build` includes it; nothing built is
// committed. Usage: node scripts/build-dashboard.mjs [--out dir]
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds into `outDir` (default dist/dashboard) and returns the files written. */
export async function buildDashboard(outDir = join(root, 'dist', 'dashboard')) {
  await rm(outDir, { recursive: true, force: true });
  const assets = join(outDir, 'assets');
  const result = await build({
    entryPoints: [join(root, 'dashboard', 'src', 'main.tsx')],
    outdir: assets,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => resolve(root, file));
  const asset = (ext) => `/assets/${basename(outputs.find((file) => file.endsWith(ext)))}`;
  const template = await readFile(join(root, 'dashboard', 'index.html'), 'utf8');
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'index.html'), template.replace('%SCRIPT%', asset('.js')).replace('%STYLES%', asset('.css')));
  return [join(outDir, 'index.html'), ...outputs].map((file) => relative(root, file));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const started = performance.now();
  const files = await buildDashboard(at > 0 ? resolve(process.argv[at + 1]) : undefined);
  console.log(`dashboard built in ${Math.round(performance.now() - started)} ms: ${files.filter((f) => !f.endsWith('.map')).join(', ')}`);
}
