import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { printSortedSchema } from '../../src/graphql/schema.js';

const root = join(import.meta.dirname, '..', '..');

describe('printed artefacts', () => {
  it('schema.graphql matches the Pothos schema (run `npm run schema:print` when this fails)', async () => {
    const onDisk = await readFile(join(root, 'schema.graphql'), 'utf8');
    expect(onDisk).toBe(printSortedSchema());
  });

  it('examples/generated matches the example operations (run `npm run codegen` when this fails)', async () => {
    // `--check` generates in memory and exits 1 when a file on disk differs. Run as a CLI:
    // the client preset's ESM dependencies cannot be loaded inside jest's module system.
    const run = spawnSync(process.execPath, [join(root, 'node_modules/@graphql-codegen/cli/cjs/bin.js'), '--config', 'codegen.ts', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect({ status: run.status, output: run.status === 0 ? '' : run.stdout + run.stderr }).toEqual({ status: 0, output: '' });
  });
});
