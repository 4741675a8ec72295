import { createHash } from 'node:crypto';
import { validateRunConfig, type RunConfig } from '../../engine/index.js';
import type { ValidationIssue } from '../../lib/errors.js';
import { INTERVAL_NAMES, isIntervalName } from '../../lib/intervals.js';

/**
 * What a client sends to run a backtest (RunBacktestInput, and RunBacktestBatchInput with
 * `symbols`), and the pure checks and identity derived from it.
 */
export interface RunRequest {
  strategyId: string;
  interval: string;
  from: Date;
  to: Date;
  initialCapital?: number | null;
  commission?: number | null;
  slippage?: number | null;
  positionSize?: number | null;
  fillTiming?: string | null;
  allowShort?: boolean | null;
  lotSize?: number | null;
  periodsPerYear?: number | null;
  riskFreeRate?: number | null;
}

const CONFIG_FIELDS = ['initialCapital', 'commission', 'slippage', 'positionSize', 'fillTiming', 'allowShort', 'lotSize', 'periodsPerYear', 'riskFreeRate'] as const;

/** The run configuration of a request, validated by the engine's rules (defaults filled); problems go to `issues`. */
export function runConfigOf(request: RunRequest, issues: ValidationIssue[]): RunConfig {
  const given: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) if (request[f] !== undefined && request[f] !== null) given[f] = request[f];
  const result = validateRunConfig(given);
  issues.push(...result.issues);
  return result.config;
}

/** The interval is known and [from, to) is a non-empty range of valid times; problems go to `issues`. */
export function checkRunRange(request: Pick<RunRequest, 'interval' | 'from' | 'to'>, issues: ValidationIssue[]): void {
  if (!isIntervalName(request.interval)) issues.push({ path: ['interval'], message: `must be one of ${INTERVAL_NAMES.join(', ')}` });
  if (!Number.isFinite(request.from.getTime())) issues.push({ path: ['from'], message: 'is not a valid time' });
  if (!Number.isFinite(request.to.getTime())) issues.push({ path: ['to'], message: 'is not a valid time' });
  else if (request.from.getTime() >= request.to.getTime()) issues.push({ path: ['to'], message: 'must be after from (from inclusive, to exclusive)' });
}

/** Identity of a run: same strategy kind + parameters + symbol + interval + range + costs + data version ⇒ same result. */
export function runCacheKey(parts: {
  kind: string;
  params: Record<string, number>;
  symbol: string;
  interval: string;
  from: Date;
  to: Date;
  config: RunConfig;
  dataVersion: bigint | string;
}): string {
  const canonical = JSON.stringify([
    parts.kind,
    Object.entries(parts.params).sort(([a], [b]) => a.localeCompare(b)),
    parts.symbol,
    parts.interval,
    parts.from.toISOString(),
    parts.to.toISOString(),
    Object.entries(parts.config).sort(([a], [b]) => a.localeCompare(b)),
    String(parts.dataVersion),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
