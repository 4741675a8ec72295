import { entryQuantity, fillFee, slippedPrice } from './fills.js';
import { TradeLog } from './trade-log.js';

/** Costs and sizing the portfolio applies on every fill. */
export interface FillRules {
  readonly commission: number;
  readonly slippage: number;
  readonly positionSize: number;
  readonly lotSize: number | null;
}

/**
 * Cash plus at most one open position (signed quantity: > 0 long, < 0 short).
 * Equity at a price p is cash + quantity × p. Short sales credit the proceeds to cash, so
 * a short's equity is cash − |quantity| × p.
 */
export class Portfolio {
  cash: number;
  /** Signed units held: > 0 long, < 0 short, 0 flat. */
  quantity = 0;
  totalFees = 0;
  /** Entry signals not taken because no quantity (not one lot) was affordable. */
  entriesSkipped = 0;
  /** Finished trades; the runner passes a reused (reset) log so buffers grow once, not every run. */
  readonly trades: TradeLog;
  private entryBar = -1;
  private entryTime = 0;
  private entryPrice = 0;
  private entryFee = 0;

  constructor(
    initialCapital: number,
    private readonly rules: FillRules,
    trades: TradeLog = new TradeLog(),
  ) {
    this.cash = initialCapital;
    this.trades = trades;
  }

  /** −1, 0 or +1. */
  get direction(): number {
    return this.quantity > 0 ? 1 : this.quantity < 0 ? -1 : 0;
  }

  /**
   * Moves to `target` (−1 short, 0 flat, +1 long) with fills at `price` (before slippage)
   * on bar `bar` (whose time is `time`, passed in because the simulator already holds it):
   * first closes any open position, then opens the new one sized from the equity after
   * that close. `allowEntry` false skips the opening leg.
   */
  rebalance(target: number, price: number, bar: number, time: number, allowEntry: boolean): void {
    if (this.quantity !== 0) this.closePosition(price, bar, time, false);
    if (target !== 0 && allowEntry) this.openPosition(target, price, bar, time);
  }

  /** Closes the open position at `price` (before slippage) on bar `bar` at `time` and records the trade. */
  closePosition(price: number, bar: number, time: number, endOfData: boolean): void {
    const { commission, slippage } = this.rules;
    const isLong = this.quantity > 0;
    const units = Math.abs(this.quantity);
    // Closing a long sells; covering a short buys.
    const fill = slippedPrice(price, !isLong, slippage);
    const fee = fillFee(units, fill, commission);
    const gross = isLong ? (fill - this.entryPrice) * units : (this.entryPrice - fill) * units;
    this.cash += isLong ? units * fill - fee : -(units * fill) - fee;
    this.totalFees += fee;
    this.trades.add(
      isLong ? 1 : -1,
      this.entryBar,
      this.entryTime,
      this.entryPrice,
      bar,
      time,
      fill,
      units,
      gross - this.entryFee - fee,
      this.entryFee + fee,
      endOfData,
    );
    this.quantity = 0;
  }

  private openPosition(direction: number, price: number, bar: number, time: number): void {
    const { commission, slippage, positionSize, lotSize } = this.rules;
    const isLong = direction > 0;
    const fill = slippedPrice(price, isLong, slippage);
    // Flat here, so equity is all cash.
    const units = entryQuantity(this.cash, positionSize, fill, commission, lotSize);
    if (!(units > 0)) {
      this.entriesSkipped += 1;
      return;
    }
    const fee = fillFee(units, fill, commission);
    this.cash += isLong ? -(units * fill) - fee : units * fill - fee;
    this.totalFees += fee;
    this.quantity = isLong ? units : -units;
    this.entryBar = bar;
    this.entryTime = time;
    this.entryPrice = fill;
    this.entryFee = fee;
  }
}
