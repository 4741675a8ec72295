import { describe, expect, it } from '@jest/globals';
import { runBacktest } from '../../engine/index.js';
import { generateRandomWalkCandles } from '../../engine/testing/synthetic-candles.js';
import { packEquity, packTrades, unpackEquity, unpackTrades } from './result-columns.js';

describe('packed results', () => {
  const result = runBacktest(generateRandomWalkCandles(5_000, 7), { kind: 'SMA_CROSSOVER', params: { fast: 5, slow: 20 } }, { allowShort: true, commission: 0.001 });

  it('gives back every trade exactly, page by page', () => {
    const t = result.tradeColumns;
    expect(t.count).toBeGreaterThan(50);
    const bytes = packTrades(t);
    expect(bytes.length).toBe(t.count * 10 * 8);
    const all = unpackTrades(bytes, t.count, 0, t.count);
    expect(all).toEqual(
      result.trades.map((trade, seq) => ({
        seq,
        side: trade.side,
        entryTime: new Date(trade.entryTime),
        entryPrice: trade.entryPrice,
        exitTime: new Date(trade.exitTime),
        exitPrice: trade.exitPrice,
        quantity: trade.quantity,
        pnl: trade.pnl,
        returnPct: trade.returnPct,
        fees: trade.fees,
        barsHeld: trade.barsHeld,
      })),
    );
    expect(all.some((x) => x.side === 'SHORT')).toBe(true);
    expect(unpackTrades(bytes, t.count, 10, 3)).toEqual(all.slice(10, 13));
    expect(unpackTrades(bytes, t.count, t.count - 2, 100)).toEqual(all.slice(-2));
    expect(unpackTrades(bytes, t.count, t.count + 5, 10)).toEqual([]);
    expect(() => unpackTrades(bytes.subarray(8), t.count, 0, 1)).toThrow(/bytes for/);
  });

  it('gives back the equity curve exactly, and stores it big-endian (as float8send)', () => {
    const curve = { time: result.equity.time, equity: result.equity.equity, drawdown: result.equity.drawdown };
    const bytes = packEquity(curve);
    const back = unpackEquity(bytes);
    expect(Array.from(back.equity)).toEqual(Array.from(curve.equity));
    expect(Array.from(back.drawdown)).toEqual(Array.from(curve.drawdown));
    expect(Array.from(back.time)).toEqual(Array.from(curve.time));
    expect(bytes.readDoubleBE(0)).toBe(curve.time[0]);
    expect(unpackEquity(packEquity({ time: new Float64Array(0), equity: new Float64Array(0), drawdown: new Float64Array(0) })).time).toHaveLength(0);
  });
});
