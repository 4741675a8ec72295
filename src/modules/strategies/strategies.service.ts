import { validateStrategyParams } from '../../engine/index.js';
import type { Strategy } from '../../generated/prisma/client.js';
import { isUuid } from '../../lib/ids.js';
import { NotFoundError, ValidationError, type ValidationIssue } from '../../lib/errors.js';
import { ownerFilter, type Viewer } from '../accounts/access.js';
import type { StrategiesRepository, StrategyQuery } from './strategies.repository.js';

/** What a run needs of a strategy: its kind and complete parameters. */
export interface StrategyDefinition {
  id: string;
  kind: string;
  parameters: Record<string, number>;
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
 * Strategies: a named strategy kind with validated parameters, owned by the caller's owner.
 * Parameters are validated with the engine's own specs (the single source of truth) and
 * stored complete, defaults filled in, so a stored strategy always runs as shown.
 */
export class StrategiesService {
  constructor(private readonly repository: StrategiesRepository) {}

  /** @throws ValidationError (name, unknown kind, unknown/out-of-range parameters, cross-parameter rules). */
  async createStrategy(viewer: Viewer, input: { name: string; kind: string; parameters?: unknown; description?: string | null }): Promise<Strategy> {
    const issues: ValidationIssue[] = [];
    const name = checkName(input.name, issues);
    const description = checkDescription(input.description, issues);
    const parameters = checkParameters(input.kind, input.parameters, issues);
    if (issues.length) throw new ValidationError(issues);
    return this.repository.insert({ owner: viewer.owner, name, kind: input.kind, parameters, description });
  }

  /** The strategy if the viewer may see it, else null (also for ids that are not UUIDs). */
  async findStrategy(viewer: Viewer, id: string): Promise<Strategy | null> {
    return isUuid(id) ? this.repository.findById(id, ownerFilter(viewer)) : null;
  }

  /**
   * Returns the strategy if the viewer may see it.
   * @throws NotFoundError when it does not exist or belongs to another owner (no leak of which).
   */
  async getStrategy(viewer: Viewer, id: string): Promise<Strategy> {
    const strategy = await this.findStrategy(viewer, id);
    if (!strategy) throw new NotFoundError('Strategy', id);
    return strategy;
  }

  /**
   * The viewer's strategy, ready to run.
   * @throws NotFoundError; ValidationError at `strategyId` when it is archived.
   */
  async getRunnableStrategy(viewer: Viewer, id: string): Promise<StrategyDefinition> {
    const strategy = await this.getStrategy(viewer, id);
    if (strategy.archivedAt) throw new ValidationError([{ path: ['strategyId'], message: 'the strategy is archived; create a new one to run it' }]);
    return definitionOf(strategy);
  }

  /** A page of the viewer's strategies, newest first (admins: everyone's). */
  listStrategies(viewer: Viewer, options: { includeArchived: boolean }, query: StrategyQuery): Promise<Strategy[]> {
    return this.repository.list({ ...ownerFilter(viewer), ...(options.includeArchived ? {} : { archivedAt: null }) }, query);
  }

  /**
   * Renames, re-describes or re-parameterises a strategy (its kind is fixed: a different kind
   * is a different strategy). Archived strategies cannot be changed.
   * @throws NotFoundError, ValidationError.
   */
  async updateStrategy(viewer: Viewer, input: { id: string; name?: string | null; parameters?: unknown; description?: string | null }): Promise<Strategy> {
    const strategy = await this.getStrategy(viewer, input.id);
    const issues: ValidationIssue[] = [];
    if (strategy.archivedAt) issues.push({ path: ['id'], message: 'the strategy is archived and can no longer be changed' });
    const data: { name?: string; description?: string | null; parameters?: Record<string, number> } = {};
    if (input.name !== undefined && input.name !== null) data.name = checkName(input.name, issues);
    if (input.description !== undefined) data.description = checkDescription(input.description, issues);
    if (input.parameters !== undefined && input.parameters !== null) data.parameters = checkParameters(strategy.kind, input.parameters, issues);
    if (issues.length) throw new ValidationError(issues);
    return this.repository.update(strategy.id, data);
  }

  /**
   * Deletes a strategy; one with backtests is archived instead (its results stay readable).
   * @throws NotFoundError.
   */
  async deleteStrategy(viewer: Viewer, id: string, now: Date): Promise<{ id: string; archived: boolean; strategy: Strategy | null }> {
    const strategy = await this.getStrategy(viewer, id);
    if (await this.repository.deleteUnlessReferenced(strategy.id)) return { id: strategy.id, archived: false, strategy: null };
    const archived = strategy.archivedAt ? strategy : await this.repository.update(strategy.id, { archivedAt: now });
    return { id: strategy.id, archived: true, strategy: archived };
  }
}

function definitionOf(strategy: Strategy): StrategyDefinition {
  return { id: strategy.id, kind: strategy.kind, parameters: strategy.parameters as Record<string, number> };
}
