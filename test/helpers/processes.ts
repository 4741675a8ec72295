import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the output once a line matches, rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<number | null>;
}

/**
 * Runs a project entry point (src/*.ts through tsx) as its own process, the way
 * `npm start` / `npm run …` would, with exactly the given environment on top of PATH/HOME
 * (and `nodeArgs` for node itself, e.g. --cpu-prof).
 */
export function runEntry(entry: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []): Started {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<{ pattern: RegExp; resolve: (s: string) => void }> = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(out);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern) {
      if (pattern.test(out)) return Promise.resolve(out);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        exited.then((code) => reject(new Error(`process exited (${code}) before ${pattern}:\n${out}`)));
      });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
