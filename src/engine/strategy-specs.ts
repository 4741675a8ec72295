import type { StrategyKind, ValidationIssue } from './types.js';

/** Parameter value type: INT must be a whole number, FLOAT any finite number. */
export type ParameterType = 'INT' | 'FLOAT';

/** One strategy parameter; `min` and `max` are both inclusive. */
export interface ParameterSpec {
  readonly name: string;
  readonly type: ParameterType;
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

/** A strategy kind as served by `strategyKinds`: enough for a frontend to render a form. */
export interface StrategySpec {
  readonly kind: StrategyKind;
  readonly name: string;
  readonly description: string;
  /** Whether the strategy has a short side (used only when the run allows shorting). */
  readonly canShort: boolean;
  /** Rules between parameters, in words (the validator enforces them). */
  readonly constraints: readonly string[];
  readonly parameters: readonly ParameterSpec[];
  /**
   * Candle columns its signals read besides close. Every run also reads time, close and
   * open (fills); columns read by no part of a run may be left out of what is loaded for it
   * (see candleColumnsRead).
   */
  readonly reads: readonly ('high' | 'low' | 'volume')[];
}

/** Longest look-back accepted for any period parameter, in bars (inclusive). */
export const MAX_PERIOD = 10_000;

const period = (name: string, def: number, min: number, description: string): ParameterSpec => ({
  name,
  type: 'INT',
  default: def,
  min,
  max: MAX_PERIOD,
  description,
});

/** Every strategy kind with its parameters, in display order. The single source of truth. */
export const strategySpecs: readonly StrategySpec[] = [
  {
    kind: 'BUY_AND_HOLD',
    name: 'Buy and hold',
    description:
      'Buys with the first bar’s signal (filled at the next open or the first close, per fill timing) and holds until the end of the data.',
    canShort: false,
    constraints: [],
    parameters: [],
    reads: [],
  },
  {
    kind: 'SMA_CROSSOVER',
    name: 'SMA crossover',
    description:
      'Goes long when the fast simple moving average of closes crosses strictly above the slow one and exits when it crosses strictly below; with shorting allowed, the bearish cross also opens a short.',
    canShort: true,
    constraints: ['fast < slow'],
    parameters: [
      period('fast', 10, 1, 'Fast simple moving average length, in bars.'),
      period('slow', 30, 2, 'Slow simple moving average length, in bars.'),
    ],
    reads: [],
  },
  {
    kind: 'EMA_CROSSOVER',
    name: 'EMA crossover',
    description:
      'Goes long when the fast exponential moving average of closes crosses strictly above the slow one and exits when it crosses strictly below; with shorting allowed, the bearish cross also opens a short.',
    canShort: true,
    constraints: ['fast < slow'],
    parameters: [
      period('fast', 12, 1, 'Fast exponential moving average length, in bars (smoothing 2 / (fast + 1)).'),
      period('slow', 26, 2, 'Slow exponential moving average length, in bars (smoothing 2 / (slow + 1)).'),
    ],
    reads: [],
  },
  {
    kind: 'RSI_REVERSION',
    name: 'RSI mean reversion',
    description:
      'Wilder RSI of closes. Goes long when RSI crosses up through the oversold level and exits when it crosses up through the overbought level; with shorting allowed, shorts when RSI crosses down through overbought and covers when it crosses down through oversold.',
    canShort: true,
    constraints: ['oversold < overbought'],
    parameters: [
      period('period', 14, 2, 'RSI look-back, in bars (Wilder smoothing).'),
      { name: 'oversold', type: 'FLOAT', default: 30, min: 0, max: 100, description: 'Oversold level, RSI points (0–100).' },
      { name: 'overbought', type: 'FLOAT', default: 70, min: 0, max: 100, description: 'Overbought level, RSI points (0–100).' },
    ],
    reads: [],
  },
  {
    kind: 'BOLLINGER_REVERSION',
    name: 'Bollinger band reversion',
    description:
      'Bollinger bands of closes (population standard deviation). Goes long when a close is below the lower band and exits when a close is above the middle band; with shorting allowed, shorts on a close above the upper band and covers on a close below the middle band.',
    canShort: true,
    constraints: [],
    parameters: [
      period('period', 20, 2, 'Moving average and standard deviation window, in bars.'),
      { name: 'k', type: 'FLOAT', default: 2, min: 0.1, max: 10, description: 'Band width, in standard deviations.' },
    ],
    reads: [],
  },
  {
    kind: 'MACD_CROSSOVER',
    name: 'MACD crossover',
    description:
      'MACD line (EMA(fast) − EMA(slow) of closes) against its signal line (EMA of the MACD line). Goes long when MACD crosses strictly above the signal line and exits when it crosses strictly below; with shorting allowed, the bearish cross also opens a short.',
    canShort: true,
    constraints: ['fast < slow'],
    parameters: [
      period('fast', 12, 1, 'Fast EMA length, in bars.'),
      period('slow', 26, 2, 'Slow EMA length, in bars.'),
      period('signal', 9, 1, 'Signal line EMA length, in MACD values (bars).'),
    ],
    reads: [],
  },
  {
    kind: 'DONCHIAN_BREAKOUT',
    name: 'Donchian channel breakout',
    description:
      'Goes long when a close exceeds the highest high of the previous `entry` bars and exits when a close falls below the lowest low of the previous `exit` bars; with shorting allowed, the mirror rules open and cover shorts.',
    canShort: true,
    constraints: ['entry ≥ exit'],
    parameters: [
      period('entry', 20, 1, 'Breakout channel length for entries, in bars (excluding the signal bar).'),
      period('exit', 10, 1, 'Channel length for exits, in bars (excluding the signal bar).'),
    ],
    reads: ['high', 'low'],
  },
];

/** The strategy kinds, in display order. */
export const STRATEGY_KINDS: readonly StrategyKind[] = strategySpecs.map((s) => s.kind);

const specByKind = new Map<string, StrategySpec>(strategySpecs.map((s) => [s.kind, s]));

/** Type guard for a strategy kind name (case-sensitive). */
export function isStrategyKind(value: unknown): value is StrategyKind {
  return typeof value === 'string' && specByKind.has(value);
}

/** A column of Candles. */
export type CandleColumn = 'time' | 'open' | 'high' | 'low' | 'close' | 'volume';

/**
 * The candle columns a run of `kind` reads: time, open (fills) and close always, plus what
 * its signals read; all of them for a kind this engine does not know (its run is refused
 * anyway). The others may hold anything — a loader may skip them (a test runs every kind
 * with them NaN-filled and expects the same result).
 */
export function candleColumnsRead(kind: string): readonly CandleColumn[] {
  const spec = specByKind.get(kind);
  return spec ? ['time', 'open', 'close', ...spec.reads] : ['time', 'open', 'high', 'low', 'close', 'volume'];
}

/** The spec of a kind, or null for an unknown kind. */
export function findStrategySpec(kind: string): StrategySpec | null {
  return specByKind.get(kind) ?? null;
}

export interface StrategyParamsValidation {
  /** Parameters with defaults filled in; meaningful only when `issues` is empty. */
  readonly params: Record<string, number>;
  readonly issues: ValidationIssue[];
}

/**
 * Validates a strategy's parameters and fills defaults for missing ones. Issues carry a path
 * relative to the parameters object (`['fast']`), or `[]` for an unknown kind / non-object.
 * Checks: unknown parameter names, non-numbers, non-finite numbers, non-integers for INT
 * parameters, inclusive [min, max] ranges, then the cross-parameter rules (only when the
 * individual values are valid, so messages never compound).
 */
export function validateStrategyParams(kind: unknown, params: unknown): StrategyParamsValidation {
  const spec = typeof kind === 'string' ? findStrategySpec(kind) : null;
  const issues: ValidationIssue[] = [];
  const filled: Record<string, number> = {};
  if (!spec) {
    issues.push({ path: [], message: `Unknown strategy kind "${String(kind)}". Expected one of: ${STRATEGY_KINDS.join(', ')}.` });
    return { params: filled, issues };
  }
  const given = params ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    issues.push({ path: [], message: 'Parameters must be an object mapping parameter names to numbers.' });
    return { params: filled, issues };
  }
  const record = given as Record<string, unknown>;
  const known = new Set(spec.parameters.map((p) => p.name));
  for (const name of Object.keys(record)) {
    if (!known.has(name)) {
      const expected = spec.parameters.length ? `Expected: ${[...known].join(', ')}.` : `${spec.kind} takes no parameters.`;
      issues.push({ path: [name], message: `Unknown parameter "${name}" for ${spec.kind}. ${expected}` });
    }
  }
  for (const p of spec.parameters) {
    const value = record[p.name];
    if (value === undefined) {
      filled[p.name] = p.default;
      continue;
    }
    // null is not "the default": a client that sends {fast: null} meant something, and
    // running with 10 instead would hide the mistake.
    if (value === null) {
      issues.push({ path: [p.name], message: `${p.name} must be a number, got null; leave it out to use the default (${p.default}).` });
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      issues.push({ path: [p.name], message: `${p.name} must be a finite number, got ${describe(value)}.` });
      continue;
    }
    if (p.type === 'INT' && !Number.isInteger(value)) {
      issues.push({ path: [p.name], message: `${p.name} must be a whole number, got ${value}.` });
      continue;
    }
    if (value < p.min || value > p.max) {
      issues.push({ path: [p.name], message: `${p.name} must be between ${p.min} and ${p.max} inclusive, got ${value}.` });
      continue;
    }
    filled[p.name] = value;
  }
  if (issues.length === 0) issues.push(...crossParameterIssues(spec.kind, filled));
  return { params: filled, issues };
}

function crossParameterIssues(kind: StrategyKind, p: Record<string, number>): ValidationIssue[] {
  switch (kind) {
    case 'SMA_CROSSOVER':
    case 'EMA_CROSSOVER':
    case 'MACD_CROSSOVER':
      return p.fast < p.slow
        ? []
        : [{ path: ['fast'], message: `fast (${p.fast}) must be less than slow (${p.slow}).` }];
    case 'RSI_REVERSION':
      return p.oversold < p.overbought
        ? []
        : [{ path: ['oversold'], message: `oversold (${p.oversold}) must be less than overbought (${p.overbought}).` }];
    case 'DONCHIAN_BREAKOUT':
      return p.entry >= p.exit
        ? []
        : [{ path: ['exit'], message: `exit (${p.exit}) must not exceed entry (${p.entry}).` }];
    default:
      return [];
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string "${value}"`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}
