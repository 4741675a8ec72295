import type { Context } from '../context.js';
import { ValidationError } from '../lib/errors.js';

/** GRAPHQL_MAX_PAGE_SIZE, as the deployment's limits report it: the one place resolvers learn it. */
export function maxPageSize(ctx: Context): number {
  return ctx.services.system.getLimits().maxPageSize;
}

/**
 * Options every connection shares: a default page and the deployment's maximum. The default
 * is also in the field's extensions, where the operation cost (src/graphql/limits.ts) reads
 * the size of a page asked for without `first`.
 */
export function pageOptions(defaultSize: number) {
  return { defaultSize, maxSize: (_args: unknown, ctx: Context) => maxPageSize(ctx), extensions: pageExtensions(defaultSize) };
}

/** The extensions of a connection field whose default page has `defaultSize` items. */
export function pageExtensions(defaultSize: number) {
  return { defaultPageSize: defaultSize };
}

/**
 * Rejects page sizes above GRAPHQL_MAX_PAGE_SIZE (and negative ones) with a clear error,
 * rather than silently returning fewer rows than asked for.
 */
export function assertPageSize(args: { first?: number | null; last?: number | null }, ctx: Context): void {
  const max = maxPageSize(ctx);
  const issues = (['first', 'last'] as const).flatMap((name) => {
    const value = args[name];
    if (value === null || value === undefined) return [];
    if (value < 0) return [{ path: [name], message: 'must not be negative' }];
    if (value > max) return [{ path: [name], message: `must be at most ${max} (GRAPHQL_MAX_PAGE_SIZE); page with after/endCursor` }];
    return [];
  });
  if (issues.length) throw new ValidationError(issues);
}
