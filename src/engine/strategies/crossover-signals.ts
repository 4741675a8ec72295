import { LONG_ENTRY, LONG_EXIT, SHORT_ENTRY, SHORT_EXIT } from './signal-flags.js';

/**
 * Shared rule of the crossover strategies: `fast` crossing strictly above `slow` is
 * LONG_ENTRY + SHORT_EXIT, crossing strictly below is LONG_EXIT + SHORT_ENTRY. NaN
 * comparisons are false, so nothing fires until both lines are defined on bars t−1 and t.
 */
export function writeCrossoverSignals(fast: Float64Array, slow: Float64Array, out: Int8Array): void {
  const n = out.length;
  if (n > 0) out[0] = 0;
  let prevFast = fast[0];
  let prevSlow = slow[0];
  for (let t = 1; t < n; t++) {
    const f = fast[t];
    const s = slow[t];
    let flags = 0;
    if (prevFast < prevSlow && f > s) flags = LONG_ENTRY | SHORT_EXIT;
    else if (prevFast > prevSlow && f < s) flags = LONG_EXIT | SHORT_ENTRY;
    out[t] = flags;
    prevFast = f;
    prevSlow = s;
  }
}
