import { AsyncLocalStorage } from 'node:async_hooks';
import pLimit, { type LimitFunction } from 'p-limit';
import { DomainError } from '../lib/errors.js';

/**
 * What one API request may take from the database, carried through its async work with
 * AsyncLocalStorage so that every statement — Prisma's, the stores', the loaders' — is
 * counted without threading a parameter through each service call.
 *
 * - `connections`: connections it may hold at once. A query of 30 aliased heavy fields
 *   would otherwise take every connection of the pool and starve everyone else (issue 13,
 *   finding 1); over the cap its statements wait for its own earlier ones.
 * - `statements`: statements it may run in all; over it, the next one fails with
 *   RequestBudgetExceededError (typed: the request is refused, the process is fine).
 * - `statementTimeoutMs`: how long any one of its statements may run (the pool's sessions
 *   carry the longer DATABASE_STATEMENT_TIMEOUT_MS for jobs and ingests); src/db/pool.ts
 *   sets it on each connection the request checks out.
 */
export interface RequestBudget {
  readonly limit: LimitFunction;
  readonly maxStatements: number;
  readonly statementTimeoutMs: number;
  statements: number;
}

export interface RequestBudgetOptions {
  maxConnections: number;
  maxStatements: number;
  statementTimeoutMs: number;
}

/** A request used more database work than one request may. */
export class RequestBudgetExceededError extends DomainError {
  constructor(maxStatements: number) {
    super(
      `This request needs more than ${maxStatements} database statements (GRAPHQL_MAX_STATEMENTS); ask for fewer items or split it.`,
      'REQUEST_BUDGET_EXCEEDED',
    );
  }
}

const scope = new AsyncLocalStorage<RequestBudget>();

/** Runs `fn` (and everything it starts) under a fresh budget. */
export function withRequestBudget<T>(options: RequestBudgetOptions, fn: () => T): T {
  return scope.run(
    { limit: pLimit(options.maxConnections), maxStatements: options.maxStatements, statementTimeoutMs: options.statementTimeoutMs, statements: 0 },
    fn,
  );
}

/** The statement timeout of the current request, or undefined outside one. */
export function requestStatementTimeout(): number | undefined {
  return scope.getStore()?.statementTimeoutMs;
}

/** A connection slot of the request's budget: resolves with the function that frees it. */
function acquireSlot(budget: RequestBudget): Promise<() => void> {
  return new Promise((granted) => {
    void budget.limit(() => new Promise<void>((release) => granted(release)));
  });
}

/**
 * Counts a statement against the current request's budget; throws when it is spent.
 * Outside a request it does nothing.
 */
export function chargeStatement(): void {
  const budget = scope.getStore();
  if (budget && ++budget.statements > budget.maxStatements) throw new RequestBudgetExceededError(budget.maxStatements);
}

/**
 * Checks a connection out for the current request: waits for one of its slots first, and
 * frees the slot when the connection is released. Outside a request: `checkout` as is.
 */
export async function checkoutWithinBudget<C extends { release: (err?: Error | boolean) => void }>(checkout: () => Promise<C>): Promise<C> {
  const budget = scope.getStore();
  if (!budget) return checkout();
  const freeSlot = await acquireSlot(budget);
  let client: C;
  try {
    client = await checkout();
  } catch (error) {
    freeSlot();
    throw error;
  }
  // pg-pool gives every checkout its own release function: wrap this one.
  const release = client.release;
  let released = false;
  client.release = (err?: Error | boolean) => {
    if (!released) freeSlot();
    released = true;
    return release.call(client, err);
  };
  return client;
}
