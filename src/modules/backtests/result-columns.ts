import type { TradeColumns } from '../../engine/index.js';

/**
 * A finished backtest's trades and equity curve as stored in backtest_result: packed
 * big-endian float8 columns, column after column (the layout of the packed_results
 * migration). Packing is a copy and a native byte swap; reading a page of trades decodes
 * only that page.
 */

/** Trade columns in their stored order. */
const TRADE_FIELDS = ['entryTime', 'entryPrice', 'exitTime', 'exitPrice', 'quantity', 'pnl', 'returnPct', 'fees', 'barsHeld', 'side'] as const;
const EQUITY_FIELDS = ['time', 'equity', 'drawdown'] as const;

/** One trade as the API shows it (`seq` orders trades within their backtest, from 0). */
export interface TradeRow {
  seq: number;
  side: 'LONG' | 'SHORT';
  entryTime: Date;
  entryPrice: number;
  exitTime: Date;
  exitPrice: number;
  quantity: number;
  pnl: number;
  returnPct: number;
  fees: number;
  barsHeld: number;
}

export interface EquityColumns {
  time: Float64Array;
  equity: Float64Array;
  drawdown: Float64Array;
}

/** `columns` (each of `n` values) as big-endian float8 bytes, one column after another. */
function pack(columns: ReadonlyArray<ArrayLike<number>>, n: number): Buffer {
  const values = new Float64Array(columns.length * n);
  columns.forEach((column, c) => {
    for (let i = 0; i < n; i++) values[c * n + i] = column[i]!;
  });
  return Buffer.from(values.buffer, 0, values.byteLength).swap64();
}

/** Column `c` of a packed block of `n` values per column, values [from, to), in native order. */
function unpack(bytes: Buffer, n: number, c: number, from = 0, to = n): Float64Array {
  const slice = Buffer.from(bytes.subarray((c * n + from) * 8, (c * n + to) * 8)); // a copy: swapped in place
  slice.swap64();
  return new Float64Array(slice.buffer, slice.byteOffset, to - from);
}

export function packTrades(trades: TradeColumns): Buffer {
  return pack(TRADE_FIELDS.map((f) => trades[f]), trades.count);
}

/** Trades [offset, offset + limit) of a packed block of `count` trades. */
export function unpackTrades(bytes: Buffer, count: number, offset: number, limit: number): TradeRow[] {
  const from = Math.min(count, Math.max(0, offset));
  const to = Math.min(count, from + Math.max(0, limit));
  if (bytes.length !== count * TRADE_FIELDS.length * 8) throw new Error(`packed trades hold ${bytes.length} bytes for ${count} trades`);
  const [entryTime, entryPrice, exitTime, exitPrice, quantity, pnl, returnPct, fees, barsHeld, side] = TRADE_FIELDS.map((_, c) => unpack(bytes, count, c, from, to)) as Float64Array[];
  return Array.from({ length: to - from }, (_, i) => ({
    seq: from + i,
    side: side![i]! > 0 ? 'LONG' : 'SHORT',
    entryTime: new Date(entryTime![i]!),
    entryPrice: entryPrice![i]!,
    exitTime: new Date(exitTime![i]!),
    exitPrice: exitPrice![i]!,
    quantity: quantity![i]!,
    pnl: pnl![i]!,
    returnPct: returnPct![i]!,
    fees: fees![i]!,
    barsHeld: barsHeld![i]!,
  }));
}

export function packEquity(curve: EquityColumns): Buffer {
  return pack(EQUITY_FIELDS.map((f) => curve[f]), curve.time.length);
}

export function unpackEquity(bytes: Buffer): EquityColumns {
  const n = bytes.length / (EQUITY_FIELDS.length * 8);
  if (!Number.isInteger(n)) throw new Error(`packed equity curve of ${bytes.length} bytes`);
  return { time: unpack(bytes, n, 0), equity: unpack(bytes, n, 1), drawdown: unpack(bytes, n, 2) };
}
