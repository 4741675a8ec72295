import type { RunConfig, RunConfigInput, ValidationIssue } from './types.js';

/** Defaults applied by `validateRunConfig` for missing (undefined or null) fields. */
export const DEFAULT_RUN_CONFIG: RunConfig = {
  initialCapital: 10_000,
  commission: 0,
  slippage: 0,
  positionSize: 1,
  fillTiming: 'NEXT_OPEN',
  allowShort: false,
  lotSize: null,
  periodsPerYear: null,
  riskFreeRate: 0,
};

export interface RunConfigValidation {
  /** The configuration with defaults filled; meaningful only when `issues` is empty. */
  readonly config: RunConfig;
  readonly issues: ValidationIssue[];
}

type NumberRule = {
  readonly field: keyof RunConfig;
  readonly ok: (v: number) => boolean;
  readonly rule: string;
  readonly optional?: boolean;
};

const numberRules: readonly NumberRule[] = [
  { field: 'initialCapital', ok: (v) => v > 0, rule: 'greater than 0' },
  { field: 'commission', ok: (v) => v >= 0 && v < 1, rule: 'at least 0 and less than 1 (a fraction of notional, e.g. 0.001 = 0.1%)' },
  { field: 'slippage', ok: (v) => v >= 0 && v < 1, rule: 'at least 0 and less than 1 (a fraction of price, e.g. 0.0005 = 5 bp)' },
  { field: 'positionSize', ok: (v) => v > 0 && v <= 1, rule: 'greater than 0 and at most 1 (a fraction of equity)' },
  // An annual fraction: 100 would be 10,000 % a year — a percent typed where a fraction belongs.
  { field: 'riskFreeRate', ok: (v) => v > -1 && v <= 1, rule: 'greater than -1 and at most 1 (an annual fraction, e.g. 0.02 = 2%)' },
  { field: 'lotSize', ok: (v) => v > 0, rule: 'greater than 0', optional: true },
  { field: 'periodsPerYear', ok: (v) => v > 0, rule: 'greater than 0', optional: true },
];

/**
 * Validates a run configuration and fills defaults (`DEFAULT_RUN_CONFIG`). Every numeric
 * field must be a finite number: initialCapital > 0; 0 ≤ commission < 1; 0 ≤ slippage < 1;
 * 0 < positionSize ≤ 1; −1 < riskFreeRate ≤ 1; lotSize > 0 and periodsPerYear > 0 when given.
 * fillTiming is 'NEXT_OPEN' or 'CLOSE'; allowShort a boolean. Unknown fields are issues too,
 * so a typo never silently runs with a default. Paths are field names (`['commission']`).
 */
export function validateRunConfig(input: RunConfigInput | null | undefined): RunConfigValidation {
  const issues: ValidationIssue[] = [];
  const given = (input ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...DEFAULT_RUN_CONFIG };
  for (const key of Object.keys(given)) {
    if (!(key in DEFAULT_RUN_CONFIG)) {
      issues.push({ path: [key], message: `Unknown run configuration field "${key}".` });
    }
  }
  for (const { field, ok, rule } of numberRules) {
    const value = given[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      issues.push({ path: [field], message: `${field} must be a finite number, got ${String(value)}.` });
    } else if (!ok(value)) {
      issues.push({ path: [field], message: `${field} must be ${rule}, got ${value}.` });
    } else {
      out[field] = value;
    }
  }
  const fillTiming = given.fillTiming;
  if (fillTiming !== undefined && fillTiming !== null) {
    if (fillTiming === 'NEXT_OPEN' || fillTiming === 'CLOSE') out.fillTiming = fillTiming;
    else issues.push({ path: ['fillTiming'], message: `fillTiming must be NEXT_OPEN or CLOSE, got ${String(fillTiming)}.` });
  }
  const allowShort = given.allowShort;
  if (allowShort !== undefined && allowShort !== null) {
    if (typeof allowShort === 'boolean') out.allowShort = allowShort;
    else issues.push({ path: ['allowShort'], message: `allowShort must be true or false, got ${String(allowShort)}.` });
  }
  return { config: out as unknown as RunConfig, issues };
}
