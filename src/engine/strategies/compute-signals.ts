import { FreshWorkBuffers, type WorkBuffers } from '../work-buffers.js';
import type { Candles, StrategyKind } from '../types.js';
import { computeBollingerReversionSignals } from './bollinger-reversion.js';
import { computeBuyAndHoldSignals } from './buy-and-hold.js';
import { computeDonchianBreakoutSignals } from './donchian-breakout.js';
import { computeEmaCrossoverSignals } from './ema-crossover.js';
import { computeMacdCrossoverSignals } from './macd-crossover.js';
import { computeRsiReversionSignals } from './rsi-reversion.js';
import { computeSmaCrossoverSignals } from './sma-crossover.js';

/**
 * Writes the per-bar signal flags (see signal-flags.ts) of a strategy into `out`
 * (length = number of bars). `params` must already be validated and defaulted.
 * Every strategy is causal: out[t] depends on candles[0..=t] only. Intermediate indicator
 * arrays come from `buffers` (fresh arrays by default).
 */
export function computeSignals(
  candles: Candles,
  kind: StrategyKind,
  params: Readonly<Record<string, number>>,
  out: Int8Array,
  buffers: WorkBuffers = new FreshWorkBuffers(),
): void {
  switch (kind) {
    case 'BUY_AND_HOLD':
      return computeBuyAndHoldSignals(candles, out);
    case 'SMA_CROSSOVER':
      return computeSmaCrossoverSignals(candles, { fast: params.fast, slow: params.slow }, out, buffers);
    case 'EMA_CROSSOVER':
      return computeEmaCrossoverSignals(candles, { fast: params.fast, slow: params.slow }, out, buffers);
    case 'RSI_REVERSION':
      return computeRsiReversionSignals(
        candles,
        { period: params.period, oversold: params.oversold, overbought: params.overbought },
        out,
        buffers,
      );
    case 'BOLLINGER_REVERSION':
      return computeBollingerReversionSignals(candles, { period: params.period, k: params.k }, out, buffers);
    case 'MACD_CROSSOVER':
      return computeMacdCrossoverSignals(candles, { fast: params.fast, slow: params.slow, signal: params.signal }, out, buffers);
    case 'DONCHIAN_BREAKOUT':
      return computeDonchianBreakoutSignals(candles, { entry: params.entry, exit: params.exit }, out, buffers);
    default: {
      const unknown: never = kind;
      throw new Error(`Unhandled strategy kind ${String(unknown)}`);
    }
  }
}
