// Runs `prisma generate` offline. Prisma 7 wants a schema-engine binary path even though
// generation does not use it; the binary is normally downloaded, which these machines
// cannot do. Any existing file satisfies the check, so point it at node itself.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
// The Pothos types generator is a bin of @pothos/plugin-prisma; npm puts .bin on PATH only
// inside npm scripts.
env.PATH = [join(process.cwd(), 'node_modules', '.bin'), env.PATH].join(delimiter);
let prismaCli;
try {
  prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
} catch {
  // Production installs (--omit=dev) have no Prisma CLI; they ship the generated client.
  console.warn('prisma-generate: prisma CLI not installed, skipping generation');
  process.exit(0);
}
const result = spawnSync(process.execPath, [prismaCli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
