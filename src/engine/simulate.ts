import type { Portfolio } from './portfolio.js';
import { LONG_ENTRY, LONG_EXIT, SHORT_ENTRY, SHORT_EXIT } from './strategies/signal-flags.js';

/** Marker for "no order waiting for the next open". */
export const NO_PENDING = 2;

/** Everything the bar loop reads; fixed for a run. */
export interface LoopContext {
  readonly portfolio: Portfolio;
  readonly signals: Int8Array;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly close: Float64Array;
  /** Output: equity marked at each close. */
  readonly equity: Float64Array;
  readonly fillAtClose: boolean;
  readonly allowShort: boolean;
}

/** Loop state carried between chunks of bars. */
export class LoopState {
  /** Target position (−1, 0, +1) to fill at the next open, or NO_PENDING. */
  pending = NO_PENDING;
  prevTime = -Infinity;
}

/**
 * Simulates bars [start, end). For each bar t:
 *  1. check the bar (time increasing, close finite and > 0) — the run's validation of the
 *     columns every run reads, done here because a separate pass costs as much as the loop;
 *  2. fill the order pending from bar t−1 at open[t] (NEXT_OPEN; open[t] is checked too);
 *  3. act on the signal flags of close t: fill now (CLOSE) or queue for open t+1
 *     (NEXT_OPEN; nothing is queued on the last bar, which has no next open);
 *  4. on the last bar, close any open position at the close (END_OF_DATA);
 *  5. mark equity = cash + quantity × close (drawdown is derived from equity later: by the
 *     metrics pass for max drawdown and its duration, and on demand for the curve).
 *
 * Returns −1, or the index of the first invalid bar (the caller reports it).
 * Kept apart from `runBacktest` so V8 optimises it as a small function; cash and quantity
 * live in locals and are reloaded only after a fill (a few per thousand bars). The metrics'
 * sums are deliberately NOT accumulated here: with them the loop has more live doubles than
 * x64 has registers, and it ran 2× slower than this loop plus a separate metrics pass.
 */
export function simulateBars(state: LoopState, ctx: LoopContext, start: number, end: number): number {
  const { portfolio, signals, time, open, close, equity, fillAtClose, allowShort } = ctx;
  const last = close.length - 1;
  let cash = portfolio.cash;
  let quantity = portfolio.quantity;
  let { pending, prevTime } = state;
  let bad = -1;
  for (let t = start; t < end; t++) {
    const c = close[t];
    const barTime = time[t];
    // Negated so NaN fails too.
    if (!(barTime > prevTime && barTime < Infinity && c > 0 && c < Infinity)) {
      bad = t;
      break;
    }
    prevTime = barTime;
    // Loaded on every bar although only used on a fill: a sequential stream the hardware
    // prefetches, where loading it only at fills cost a cache miss per fill (~100 ns each,
    // ~4 ms for 40k fills).
    const o = open[t];
    if (pending !== NO_PENDING) {
      if (!(o > 0 && o < Infinity)) {
        bad = t;
        break;
      }
      portfolio.rebalance(pending, o, t, barTime, true);
      pending = NO_PENDING;
      cash = portfolio.cash;
      quantity = portfolio.quantity;
    }
    const flags = signals[t];
    if (flags !== 0) {
      const position = quantity > 0 ? 1 : quantity < 0 ? -1 : 0;
      const target = targetPosition(position, flags, allowShort);
      if (target !== position) {
        if (fillAtClose) {
          // An entry at the last close would be closed again at the same close and only pay fees.
          portfolio.rebalance(target, c, t, barTime, t < last);
          cash = portfolio.cash;
          quantity = portfolio.quantity;
        } else if (t < last) {
          pending = target;
        }
        // NEXT_OPEN with t = last: there is no next open, the signal is dropped.
      }
    }
    if (t === last && quantity !== 0) {
      portfolio.closePosition(c, t, barTime, true);
      cash = portfolio.cash;
      quantity = 0;
    }
    equity[t] = cash + quantity * c;
  }
  state.pending = pending;
  state.prevTime = prevTime;
  return bad;
}

/**
 * The position wanted after a bar's signals, given the current one (−1, 0, +1).
 * Flat: LONG_ENTRY goes long, else SHORT_ENTRY goes short if allowed.
 * Long: SHORT_ENTRY reverses to short if allowed, else LONG_EXIT goes flat.
 * Short: LONG_ENTRY reverses to long, else SHORT_EXIT goes flat.
 */
export function targetPosition(position: number, flags: number, allowShort: boolean): number {
  if (position === 0) {
    if (flags & LONG_ENTRY) return 1;
    if (allowShort && flags & SHORT_ENTRY) return -1;
    return 0;
  }
  if (position > 0) {
    if (allowShort && flags & SHORT_ENTRY) return -1;
    if (flags & LONG_EXIT) return 0;
    return 1;
  }
  if (flags & LONG_ENTRY) return 1;
  if (flags & SHORT_EXIT) return 0;
  return -1;
}
