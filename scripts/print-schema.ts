import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { printSortedSchema } from '../src/graphql/schema.js';

/**
 * `npm run schema:print` writes schema.graphql (sorted SDL of the Pothos schema);
 * `npm run schema:print -- --check` exits 1 when the file is stale.
 */
const file = join(import.meta.dirname, '..', 'schema.graphql');
const sdl = printSortedSchema();
if (process.argv.includes('--check')) {
  const current = await readFile(file, 'utf8').catch(() => '');
  if (current !== sdl) {
    console.error('schema.graphql is stale: run `npm run schema:print`');
    process.exit(1);
  }
  console.log('schema.graphql is up to date');
} else {
  await writeFile(file, sdl);
  console.log(`wrote ${file}`);
}
