import pg from 'pg';

/** Called after every SQL statement on the pool (Prisma's included): metrics and tests count them. */
export type QueryListener = (event: { text: string; durationMs: number; error?: unknown }) => void;

export interface Database {
  pool: pg.Pool;
  /** Subscribes to executed statements; returns the unsubscribe function. */
  onQuery(listener: QueryListener): () => void;
}

export interface PoolOptions {
  url: string;
  max: number;
  statementTimeoutMs: number;
  applicationName?: string;
}

/**
 * The one pg pool of a process; Prisma (through @prisma/adapter-pg) and the raw SQL stores
 * share it. Every session runs in UTC so timestamps never shift with the server's zone.
 */
export function createDatabase(options: PoolOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    application_name: options.applicationName ?? 'quantql',
    // JIT off: the planner's cost estimates for LATERAL lookups over many hypertable chunks
    // (market summary, batched loaders) cross the JIT thresholds and LLVM then spends
    // seconds compiling a plan that executes in milliseconds.
    options: `-c TimeZone=UTC -c statement_timeout=${options.statementTimeoutMs} -c jit=off`,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  const listeners = new Set<QueryListener>();
  // A broken idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      if (listeners.size === 0) return query(...args);
      const first = args[0] as string | { text: string };
      const text = typeof first === 'string' ? first : first?.text;
      const started = performance.now();
      const notify = (error?: unknown) => {
        const durationMs = performance.now() - started;
        for (const listener of listeners) listener({ text, durationMs, error });
      };
      // pg's own Pool.query passes a callback; Prisma's adapter and our stores use promises.
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        args[args.length - 1] = (error: unknown, ...rest: unknown[]) => {
          notify(error ?? undefined);
          return (last as (...a: unknown[]) => unknown)(error, ...rest);
        };
        return query(...args);
      }
      const result = query(...args);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(() => notify(), (error) => notify(error));
      } else if (result && typeof (result as NodeJS.EventEmitter).once === 'function') {
        // A submittable such as a COPY stream (pg-copy-streams): 'finish' (COPY FROM) or
        // 'end' (COPY TO) or 'error', whichever comes first.
        const stream = result as NodeJS.EventEmitter;
        let done = false;
        const once = (error?: unknown) => {
          if (!done) notify(error);
          done = true;
        };
        stream.once('finish', () => once());
        stream.once('end', () => once());
        stream.once('error', (error) => once(error));
      }
      return result;
    };
  });
  return {
    pool,
    onQuery(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
