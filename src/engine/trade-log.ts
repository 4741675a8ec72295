import type { Candles, Trade } from './types.js';

const SIDE_LONG = 1;

/**
 * Growable columnar store of finished trades: the simulator appends numbers, and the
 * `Trade` objects are built once at the end, so the bar loop never allocates.
 */
export class TradeLog {
  private capacity = 64;
  count = 0;
  private side = new Int8Array(this.capacity);
  private entryBar = new Int32Array(this.capacity);
  private exitBar = new Int32Array(this.capacity);
  private entryPrice = new Float64Array(this.capacity);
  private exitPrice = new Float64Array(this.capacity);
  private quantity = new Float64Array(this.capacity);
  private pnl = new Float64Array(this.capacity);
  private fees = new Float64Array(this.capacity);
  private endOfData = new Uint8Array(this.capacity);

  /** side: +1 long, −1 short. */
  add(
    side: number,
    entryBar: number,
    entryPrice: number,
    exitBar: number,
    exitPrice: number,
    quantity: number,
    pnl: number,
    fees: number,
    endOfData: boolean,
  ): void {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.side[i] = side;
    this.entryBar[i] = entryBar;
    this.exitBar[i] = exitBar;
    this.entryPrice[i] = entryPrice;
    this.exitPrice[i] = exitPrice;
    this.quantity[i] = quantity;
    this.pnl[i] = pnl;
    this.fees[i] = fees;
    this.endOfData[i] = endOfData ? 1 : 0;
  }

  /** Builds the trade objects, with times taken from `candles.time`. */
  toTrades(candles: Candles): Trade[] {
    const trades: Trade[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const entryBar = this.entryBar[i];
      const exitBar = this.exitBar[i];
      const notional = this.entryPrice[i] * this.quantity[i];
      trades[i] = {
        side: this.side[i] === SIDE_LONG ? 'LONG' : 'SHORT',
        entryBar,
        entryTime: candles.time[entryBar],
        entryPrice: this.entryPrice[i],
        exitBar,
        exitTime: candles.time[exitBar],
        exitPrice: this.exitPrice[i],
        quantity: this.quantity[i],
        pnl: this.pnl[i],
        returnPct: this.pnl[i] / notional,
        fees: this.fees[i],
        barsHeld: exitBar - entryBar,
        exitReason: this.endOfData[i] === 1 ? 'END_OF_DATA' : 'SIGNAL',
      };
    }
    return trades;
  }

  private grow(): void {
    this.capacity *= 2;
    this.side = resize(this.side, new Int8Array(this.capacity));
    this.entryBar = resize(this.entryBar, new Int32Array(this.capacity));
    this.exitBar = resize(this.exitBar, new Int32Array(this.capacity));
    this.entryPrice = resize(this.entryPrice, new Float64Array(this.capacity));
    this.exitPrice = resize(this.exitPrice, new Float64Array(this.capacity));
    this.quantity = resize(this.quantity, new Float64Array(this.capacity));
    this.pnl = resize(this.pnl, new Float64Array(this.capacity));
    this.fees = resize(this.fees, new Float64Array(this.capacity));
    this.endOfData = resize(this.endOfData, new Uint8Array(this.capacity));
  }
}

function resize<T extends Int8Array | Int32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
