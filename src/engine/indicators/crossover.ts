/**
 * Strict crossover: `a` crosses above `b` at t when a[t−1] < b[t−1] and a[t] > b[t].
 * Touching (equality) on either bar is not a cross. Any NaN operand gives false, so no
 * crossover is reported before both series are defined on both bars.
 * Requires t ≥ 1.
 */
export function crossesAbove(a: Float64Array, b: Float64Array, t: number): boolean {
  return a[t - 1] < b[t - 1] && a[t] > b[t];
}

/** Strict crossover downwards: a[t−1] > b[t−1] and a[t] < b[t]. Requires t ≥ 1. */
export function crossesBelow(a: Float64Array, b: Float64Array, t: number): boolean {
  return a[t - 1] > b[t - 1] && a[t] < b[t];
}

/** `a` crosses up through the constant `level` at t: a[t−1] < level and a[t] > level. */
export function crossesUpThrough(a: Float64Array, level: number, t: number): boolean {
  return a[t - 1] < level && a[t] > level;
}

/** `a` crosses down through the constant `level` at t: a[t−1] > level and a[t] < level. */
export function crossesDownThrough(a: Float64Array, level: number, t: number): boolean {
  return a[t - 1] > level && a[t] < level;
}
