import type { Candles } from '../types.js';
import { LONG_ENTRY } from './signal-flags.js';

/** Buy at the first bar's signal and never exit (the run's end closes the position). */
export function computeBuyAndHoldSignals(candles: Candles, out: Int8Array): void {
  out.fill(0);
  if (candles.close.length > 0) out[0] = LONG_ENTRY;
}
