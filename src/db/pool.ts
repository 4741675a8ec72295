import pg from 'pg';
import { chargeStatement, checkoutWithinBudget, requestStatementTimeout } from './request-scope.js';

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
  const listeners = new Set<QueryListener>();
  const pool = new BudgetedPool(options.statementTimeoutMs, {
    connectionString: options.url,
    max: options.max,
    application_name: options.applicationName ?? 'quantql',
    // JIT off: the planner's cost estimates for LATERAL lookups over many hypertable chunks
    // (market summary, batched loaders) cross the JIT thresholds and LLVM then spends
    // seconds compiling a plan that executes in milliseconds.
    // client_connection_check_interval: a statement whose client went away (a network
    // failure, a killed process) is cancelled within a second instead of running — or
    // waiting on a lock — to completion and committing work whose request already failed.
    options: `-c TimeZone=UTC -c statement_timeout=${options.statementTimeoutMs} -c jit=off -c client_connection_check_interval=1000`,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    Client: observedClient(listeners),
  });
  // A broken idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return {
    pool,
    onQuery(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * A pg.Pool whose checkouts respect the current API request's connection cap and statement
 * timeout (src/db/request-scope.ts). pg-pool's own query() checks out through connect(), and
 * so do Prisma's adapter and the stores' transactions: this one override covers them all.
 */
class BudgetedPool extends pg.Pool {
  /** Each connection's session statement_timeout, where it differs from the default. */
  private readonly timeouts = new WeakMap<pg.PoolClient, number>();

  constructor(
    private readonly defaultTimeoutMs: number,
    config: pg.PoolConfig,
  ) {
    super(config);
  }

  // connect() has a promise and a callback form; both are kept.
  override connect(): Promise<pg.PoolClient>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: any) => void) => void): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: any) => void) => void): Promise<pg.PoolClient> | void {
    const checkedOut = checkoutWithinBudget(() => super.connect()).then((client) => this.withTimeout(client));
    if (!callback) return checkedOut;
    checkedOut.then(
      (client) => callback(undefined, client, client.release),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  /**
   * Sets the session's statement_timeout to the request's (or back to the default outside
   * one) when it differs: one round trip the first time a connection changes hands between
   * requests and jobs, none after. Not counted as the request's statement.
   */
  private async withTimeout(client: pg.PoolClient): Promise<pg.PoolClient> {
    const wanted = requestStatementTimeout() ?? this.defaultTimeoutMs;
    if ((this.timeouts.get(client) ?? this.defaultTimeoutMs) === wanted) return client;
    try {
      // pg.Client's own query(): the observed one would count it against the request.
      const query = pg.Client.prototype.query as (this: pg.ClientBase, text: string) => Promise<unknown>;
      await query.call(client, `SET statement_timeout = ${Math.trunc(wanted)}`);
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    this.timeouts.set(client, wanted);
    return client;
  }
}

/**
 * A pg.Client that reports every statement it runs to `listeners` (pg has no statement
 * hook; its pool accepts a Client class for exactly this kind of extension). Every caller
 * style is covered: promises (our stores, Prisma's adapter), callbacks (pg's own Pool.query)
 * and submittables such as pg-copy-streams' COPY streams.
 */
function observedClient(listeners: ReadonlySet<QueryListener>): typeof pg.Client {
  return class ObservedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      // pg-pool listens for errors only while a client is idle. A checked-out client whose
      // connection drops between statements (a transaction's JS work, the database going
      // away) would emit an unhandled 'error' and crash the process; its holder learns of
      // it from its next statement instead ("not queryable"), and the pool discards it on
      // release.
      this.on('error', () => undefined);
    }

    // pg's query() has a dozen overloads; this one forwards whichever the caller used.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: any[]): any {
      // Every statement of an API request counts against its budget (request-scope.ts).
      chargeStatement();
      const run = (...a: unknown[]) => (super.query as (...b: unknown[]) => unknown)(...a);
      if (listeners.size === 0) return run(...args);
      const first = args[0] as string | { text: string };
      const text = typeof first === 'string' ? first : first?.text;
      const started = performance.now();
      const notify = (error?: unknown) => {
        const durationMs = performance.now() - started;
        for (const listener of listeners) listener({ text, durationMs, error });
      };
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        args[args.length - 1] = (error: unknown, ...rest: unknown[]) => {
          notify(error ?? undefined);
          return (last as (...a: unknown[]) => unknown)(error, ...rest);
        };
        return run(...args);
      }
      const result = run(...args);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(() => notify(), (error) => notify(error));
      } else if (result && typeof (result as NodeJS.EventEmitter).once === 'function') {
        // A submittable such as a COPY stream: 'finish' (COPY FROM), 'end' (COPY TO) or
        // 'error', whichever comes first.
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
    }
  };
}
