import { ValidationError } from '../lib/errors.js';

/**
 * Rejects page sizes above GRAPHQL_MAX_PAGE_SIZE (and negative ones) with a clear error,
 * rather than silently returning fewer rows than asked for.
 */
export function assertPageSize(args: { first?: number | null; last?: number | null }, max: number): void {
  const issues = (['first', 'last'] as const).flatMap((name) => {
    const value = args[name];
    if (value === null || value === undefined) return [];
    if (value < 0) return [{ path: [name], message: 'must not be negative' }];
    if (value > max) return [{ path: [name], message: `must be at most ${max} (GRAPHQL_MAX_PAGE_SIZE); page with after/endCursor` }];
    return [];
  });
  if (issues.length) throw new ValidationError(issues);
}
