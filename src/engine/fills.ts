/**
 * Fill arithmetic, shared by the simulator and its tests. Prices are per unit of the
 * instrument, money in quote currency.
 */

/**
 * The price a fill actually gets: slippage moves it against the trade. Buys (long entry,
 * short cover) pay price × (1 + slippage); sells (long exit, short entry) receive
 * price × (1 − slippage).
 *
 * @param slippage fraction, 0 ≤ slippage < 1
 */
export function slippedPrice(price: number, isBuy: boolean, slippage: number): number {
  return isBuy ? price * (1 + slippage) : price * (1 - slippage);
}

/**
 * Units to enter with: positionSize × equity / (fillPrice × (1 + commission)), so the
 * position plus its entry fee fit in the committed amount. With a lot size the quantity is
 * rounded DOWN to a whole number of lots (a relative tolerance of 1e-9 lots absorbs
 * floating-point error, so 3 lots computed as 2.9999999999 stay 3). Returns 0 when no
 * whole lot is affordable or equity ≤ 0 — the entry is then skipped.
 *
 * @param equity current equity (all cash when flat), > 0 to enter
 * @param positionSize fraction of equity, 0 < positionSize ≤ 1
 * @param fillPrice price after slippage, > 0
 * @param commission fraction of notional, 0 ≤ commission < 1
 * @param lotSize > 0, or null for fractional quantities
 */
export function entryQuantity(
  equity: number,
  positionSize: number,
  fillPrice: number,
  commission: number,
  lotSize: number | null,
): number {
  if (!(equity > 0)) return 0;
  const raw = (positionSize * equity) / (fillPrice * (1 + commission));
  if (lotSize === null) return raw;
  return Math.floor(raw / lotSize + 1e-9) * lotSize;
}

/** Commission on one fill: commission × |quantity| × fill price. */
export function fillFee(quantity: number, fillPrice: number, commission: number): number {
  return commission * quantity * fillPrice;
}
