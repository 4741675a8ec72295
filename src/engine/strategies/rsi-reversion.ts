import { rsi } from '../indicators/rsi.js';
import type { WorkBuffers } from '../work-buffers.js';
import type { Candles } from '../types.js';
import { LONG_ENTRY, LONG_EXIT, SHORT_ENTRY, SHORT_EXIT } from './signal-flags.js';

/**
 * Wilder RSI of closes (defined from t = period; first signal at t = period + 1).
 * Long: enter when RSI crosses up through `oversold`, exit when it crosses up through
 * `overbought`. Short (mirror): enter when RSI crosses down through `overbought`, exit
 * when it crosses down through `oversold`. Crossings are strict.
 */
export function computeRsiReversionSignals(
  candles: Candles,
  params: { period: number; oversold: number; overbought: number },
  out: Int8Array,
  buffers: WorkBuffers,
): void {
  const r = rsi(candles.close, params.period, buffers.float64(0, candles.close.length));
  const { oversold, overbought } = params;
  const n = out.length;
  if (n > 0) out[0] = 0;
  for (let t = 1; t < n; t++) {
    const prev = r[t - 1];
    const cur = r[t];
    let flags = 0;
    if (prev < oversold && cur > oversold) flags |= LONG_ENTRY;
    if (prev < overbought && cur > overbought) flags |= LONG_EXIT;
    if (prev > overbought && cur < overbought) flags |= SHORT_ENTRY;
    if (prev > oversold && cur < oversold) flags |= SHORT_EXIT;
    out[t] = flags;
  }
}
