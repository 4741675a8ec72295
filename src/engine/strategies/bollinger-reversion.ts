import { bollinger } from '../indicators/bollinger.js';
import type { WorkBuffers } from '../work-buffers.js';
import type { Candles } from '../types.js';
import { LONG_ENTRY, LONG_EXIT, SHORT_ENTRY, SHORT_EXIT } from './signal-flags.js';

/**
 * Bollinger bands of closes (defined from t = period − 1). These are level conditions,
 * not crossovers, so they fire on every bar where they hold (an entry signal while
 * already in the position changes nothing).
 * Long: enter when close < lower band, exit when close > middle band.
 * Short (mirror): enter when close > upper band, exit when close < middle band.
 */
export function computeBollingerReversionSignals(
  candles: Candles,
  params: { period: number; k: number },
  out: Int8Array,
  buffers: WorkBuffers,
): void {
  const close = candles.close;
  const n = out.length;
  const b = bollinger(close, params.period, params.k, {
    lower: buffers.float64(0, n),
    middle: buffers.float64(1, n),
    upper: buffers.float64(2, n),
  });
  for (let t = 0; t < n; t++) {
    const c = close[t];
    let flags = 0;
    if (c < b.lower[t]) flags |= LONG_ENTRY;
    if (c > b.middle[t]) flags |= LONG_EXIT;
    if (c > b.upper[t]) flags |= SHORT_ENTRY;
    if (c < b.middle[t]) flags |= SHORT_EXIT;
    out[t] = flags;
  }
}
