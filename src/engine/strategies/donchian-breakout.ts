import { donchian } from '../indicators/donchian.js';
import type { WorkBuffers } from '../work-buffers.js';
import type { Candles } from '../types.js';
import { LONG_ENTRY, LONG_EXIT, SHORT_ENTRY, SHORT_EXIT } from './signal-flags.js';

/**
 * Turtle-style breakout on the channels of the PREVIOUS bars (a close can never exceed a
 * channel that includes its own bar's high). First signal at t = max(entry, exit).
 * Long: enter when close[t] > highest high of bars t−entry ..= t−1; exit when close[t] <
 * lowest low of bars t−exit ..= t−1. Short (mirror): enter when close[t] < lowest low of the
 * previous `entry` bars; exit when close[t] > highest high of the previous `exit` bars.
 */
export function computeDonchianBreakoutSignals(
  candles: Candles,
  params: { entry: number; exit: number },
  out: Int8Array,
  buffers: WorkBuffers,
): void {
  const { high, low, close } = candles;
  const n = out.length;
  const entryChannel = donchian(high, low, params.entry, { upper: buffers.float64(0, n), lower: buffers.float64(1, n) });
  const exitChannel = donchian(high, low, params.exit, { upper: buffers.float64(2, n), lower: buffers.float64(3, n) });
  if (n > 0) out[0] = 0;
  for (let t = 1; t < n; t++) {
    const c = close[t];
    const entryUpper = entryChannel.upper[t - 1];
    const entryLower = entryChannel.lower[t - 1];
    const exitUpper = exitChannel.upper[t - 1];
    const exitLower = exitChannel.lower[t - 1];
    // "No signal before every indicator it uses is defined": both channels must exist.
    if (Number.isNaN(entryUpper) || Number.isNaN(exitUpper)) {
      out[t] = 0;
      continue;
    }
    let flags = 0;
    if (c > entryUpper) flags |= LONG_ENTRY;
    if (c < exitLower) flags |= LONG_EXIT;
    if (c < entryLower) flags |= SHORT_ENTRY;
    if (c > exitUpper) flags |= SHORT_EXIT;
    out[t] = flags;
  }
}
