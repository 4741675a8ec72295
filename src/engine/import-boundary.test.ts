/**
 * STYLE.md boundary 1: src/engine imports only src/engine/** and src/lib/**, no packages
 * or Node built-ins, and takes time and randomness as arguments (no Date.now(),
 * Math.random(), new Date() or process access). Tests may import their tools.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const engineDir = dirname(fileURLToPath(import.meta.url));
const srcDir = resolve(engineDir, '..');
const allowedRoots = [engineDir, join(srcDir, 'lib')];
const testOnlyPackages = ['@jest/globals', 'fast-check', 'trading-signals', 'node:fs', 'node:path', 'node:url'];

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTs(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Import specifiers of static imports/exports and dynamic import() calls. */
function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]/g, /(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

const files = listTs(engineDir);
const isTest = (file: string) => file.endsWith('.test.ts');

describe('engine import boundary', () => {
  it('finds the engine sources', () => {
    expect(files.filter((f) => !isTest(f)).length).toBeGreaterThan(20);
  });

  it('detects every import form (self-check of the scanner)', () => {
    const q = "'"; // keeps the sample's own dynamic import out of this file's scan
    const sample = `import { a } from './a.js';\nimport type { B } from "../b.js";\nexport * from './c.js';\nimport 'side';\nconst x = await import(${q}pg${q});\nrequire(${q}fs${q});`;
    expect(importSpecifiers(sample)).toEqual(
      ['./a.js', '../b.js', './c.js', 'side', 'pg', 'fs'],
    );
  });

  it.each(files.map((f) => [relative(srcDir, f), f]))('%s imports only src/engine and src/lib', (_name, file) => {
    const offending = importSpecifiers(readFileSync(file, 'utf8')).filter((specifier) => {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        return !allowedRoots.some((root) => target === root || target.startsWith(root + sep));
      }
      return !(isTest(file) && testOnlyPackages.includes(specifier));
    });
    expect(offending).toEqual([]);
  });

  it.each(files.filter((f) => !isTest(f)).map((f) => [relative(srcDir, f), f]))(
    '%s uses no clock, randomness or process',
    (_name, file) => {
      const code = stripComments(readFileSync(file, 'utf8'));
      const banned = [/\bDate\.now\s*\(/, /\bMath\.random\s*\(/, /\bnew\s+Date\s*\(/, /\bperformance\.now\s*\(/, /\bprocess\./];
      expect(banned.filter((re) => re.test(code)).map(String)).toEqual([]);
    },
  );
});
