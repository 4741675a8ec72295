import { ema } from '../indicators/ema.js';
import type { WorkBuffers } from '../work-buffers.js';
import type { Candles } from '../types.js';
import { writeCrossoverSignals } from './crossover-signals.js';

/** EMA(fast) vs EMA(slow) of closes; first possible signal at t = slow (both defined at t−1). */
export function computeEmaCrossoverSignals(
  candles: Candles,
  params: { fast: number; slow: number },
  out: Int8Array,
  buffers: WorkBuffers,
): void {
  const n = candles.close.length;
  const fast = ema(candles.close, params.fast, buffers.float64(0, n));
  const slow = ema(candles.close, params.slow, buffers.float64(1, n));
  writeCrossoverSignals(fast, slow, out);
}
