import { macd } from '../indicators/macd.js';
import type { WorkBuffers } from '../work-buffers.js';
import type { Candles } from '../types.js';
import { writeCrossoverSignals } from './crossover-signals.js';

/**
 * MACD line vs its signal line; first possible signal at t = slow + signal − 1 (both
 * defined at t−1).
 */
export function computeMacdCrossoverSignals(
  candles: Candles,
  params: { fast: number; slow: number; signal: number },
  out: Int8Array,
  buffers: WorkBuffers,
): void {
  const n = candles.close.length;
  const m = macd(candles.close, params.fast, params.slow, params.signal, {
    macd: buffers.float64(0, n),
    signal: buffers.float64(1, n),
    histogram: buffers.float64(2, n),
  });
  writeCrossoverSignals(m.macd, m.signal, out);
}
