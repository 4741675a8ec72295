import type { Viewer } from '../../context.js';
import { findStrategySpec, validateStrategyParams } from '../../engine/index.js';
import type { Strategy } from '../../generated/prisma/client.js';
import { NotFoundError, ValidationError, type ValidationIssue } from '../../lib/errors.js';
import type { StrategiesRepository } from './strategies.repository.js';

/**
 * Strategies: a named strategy kind with validated parameters, owned by the caller's owner.
 * Parameters are validated with the engine's own specs (the single source of truth) and
 * stored complete, defaults filled in, so a stored strategy always runs as shown.
 */

/** Owner filter: admins see every owner's strategies; others only their own. */
export function visibleOwner(viewer: Viewer): string | null {
  return viewer.role === 'admin' ? null : viewer.owner;
}

function checkName(name: unknown, issues: ValidationIssue[]): string {
  const value = typeof name === 'string' ? name.trim() : '';
  if (value.length < 1 || value.length > 100) issues.push({ path: ['name'], message: 'must be 1-100 characters' });
  return value;
}

function checkDescription(description: unknown, issues: ValidationIssue[]): string | null {
  if (description === null || description === undefined) return null;
  if (typeof description !== 'string' || description.length > 2000) {
    issues.push({ path: ['description'], message: 'must be at most 2000 characters' });
    return null;
  }
  return description.trim() || null;
}

function checkParameters(kind: string, parameters: unknown, issues: ValidationIssue[]): Record<string, number> {
  const result = validateStrategyParams(kind, parameters ?? {});
  for (const issue of result.issues) {
    issues.push({ path: issue.path.length ? ['parameters', ...issue.path] : ['kind'], message: issue.message });
  }
  return result.params;
}

/**
 * @throws ValidationError (name, unknown kind, unknown/out-of-range parameters, cross-parameter rules).
 */
export async function createStrategy(
  repo: StrategiesRepository,
  viewer: Viewer,
  input: { name: string; kind: string; parameters?: unknown; description?: string | null },
): Promise<Strategy> {
  const issues: ValidationIssue[] = [];
  const name = checkName(input.name, issues);
  const description = checkDescription(input.description, issues);
  const parameters = checkParameters(input.kind, input.parameters, issues);
  if (issues.length) throw new ValidationError(issues);
  return repo.insert({ owner: viewer.owner, name, kind: input.kind, parameters, description });
}

/**
 * Returns the strategy if the viewer may see it.
 * @throws NotFoundError when it does not exist or belongs to another owner (no leak of which).
 */
export async function getStrategy(repo: StrategiesRepository, viewer: Viewer, id: string): Promise<Strategy> {
  const strategy = isUuid(id) ? await repo.findVisible(id, visibleOwner(viewer)) : null;
  if (!strategy) throw new NotFoundError('Strategy', id);
  return strategy;
}

/**
 * Renames, re-describes or re-parameterises a strategy (its kind is fixed: a different kind
 * is a different strategy). Archived strategies cannot be changed.
 * @throws NotFoundError, ValidationError.
 */
export async function updateStrategy(
  repo: StrategiesRepository,
  viewer: Viewer,
  input: { id: string; name?: string | null; parameters?: unknown; description?: string | null },
): Promise<Strategy> {
  const strategy = await getStrategy(repo, viewer, input.id);
  const issues: ValidationIssue[] = [];
  if (strategy.archivedAt) issues.push({ path: ['id'], message: 'the strategy is archived and can no longer be changed' });
  const data: { name?: string; description?: string | null; parameters?: Record<string, number> } = {};
  if (input.name !== undefined && input.name !== null) data.name = checkName(input.name, issues);
  if (input.description !== undefined) data.description = checkDescription(input.description, issues);
  if (input.parameters !== undefined && input.parameters !== null) data.parameters = checkParameters(strategy.kind, input.parameters, issues);
  if (issues.length) throw new ValidationError(issues);
  return repo.update(strategy.id, data);
}

/**
 * Deletes a strategy; one with backtests is archived instead (its results stay readable).
 * @throws NotFoundError.
 */
export async function deleteStrategy(
  repo: StrategiesRepository,
  viewer: Viewer,
  id: string,
  now: Date,
): Promise<{ id: string; archived: boolean; strategy: Strategy | null }> {
  const strategy = await getStrategy(repo, viewer, id);
  if (await repo.hasBacktests(strategy.id)) {
    const archived = strategy.archivedAt ? strategy : await repo.update(strategy.id, { archivedAt: now });
    return { id: strategy.id, archived: true, strategy: archived };
  }
  await repo.delete(strategy.id);
  return { id: strategy.id, archived: false, strategy: null };
}

/** The spec of a stored strategy's kind (kinds are never removed, so it exists). */
export function specOf(strategy: Strategy) {
  return findStrategySpec(strategy.kind);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
