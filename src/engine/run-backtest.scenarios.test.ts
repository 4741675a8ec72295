/**
 * Table-driven execution scenarios: one per rule of docs/backtest-assumptions.md.
 *
 * Column legend of every candle table:
 *   bar    bar index t (0-based; bar t's time is 2024-01-01 + t days, UTC)
 *   open   open price of bar t   — NEXT_OPEN fills happen here (for the signal of bar t−1)
 *   close  close price of bar t  — signals are computed here; CLOSE fills and marks happen here
 *   note   what the strategy sees at that close (free text, ignored by the parser)
 *
 * Unless a test says otherwise the strategy is SMA_CROSSOVER{fast: 1, slow: 2}: SMA(1) is
 * the close and SMA(2) the mean of the last two closes, so a bullish cross happens exactly
 * when the close turns up after falling (c[t−2] > c[t−1] < c[t]) and a bearish one when it
 * turns down after rising. That makes every signal visible in the table.
 */
import { describe, expect, it } from '@jest/globals';
import { BacktestInputError, runBacktest } from './index.js';
import type { BacktestMetrics, RunConfigInput, Trade } from './index.js';
import { candlesFromTable, sliceCandles } from './testing/candle-table.js';

const TURNS = { kind: 'SMA_CROSSOVER', params: { fast: 1, slow: 2 } } as const;

const ROUND_TRIP = candlesFromTable(`
  bar  open  close  note
  0    10    10
  1    10    9      falling
  2    9     11     turns up: bullish cross (buy signal)
  3    12    12
  4    12    10     turns down: bearish cross (sell signal)
  5    9     10     unchanged: fast = slow, no cross
`);

function run(config: RunConfigInput, candles = ROUND_TRIP, strategy: { kind: string; params?: Record<string, number> } = TURNS) {
  return runBacktest(candles, strategy, { initialCapital: 1200, ...config });
}

function only(trades: Trade[]): Trade {
  expect(trades).toHaveLength(1);
  return trades[0];
}

describe('fill timing', () => {
  it('NEXT_OPEN fills a signal of bar t at the open of bar t+1', () => {
    const result = run({ fillTiming: 'NEXT_OPEN' });
    const trade = only(result.trades);
    expect(trade).toMatchObject({ side: 'LONG', entryBar: 3, entryPrice: 12, exitBar: 5, exitPrice: 9, exitReason: 'SIGNAL' });
    expect(trade.quantity).toBeCloseTo(100, 12); // 1200 / 12
    expect(trade.pnl).toBeCloseTo(-300, 9);
    expect(trade.returnPct).toBeCloseTo(-0.25, 12);
    expect(trade.barsHeld).toBe(2);
    expect(trade.entryTime).toBe(Date.UTC(2024, 0, 4));
    // Equity is marked at every close: flat 1200, then 100 units at 12 and 10, then cash 900.
    expect(Array.from(result.equity.equity)).toEqual([1200, 1200, 1200, 1200, 1000, 900]);
  });

  it('CLOSE fills a signal of bar t at the close of bar t', () => {
    const result = run({ fillTiming: 'CLOSE' });
    const trade = only(result.trades);
    expect(trade).toMatchObject({ side: 'LONG', entryBar: 2, entryPrice: 11, exitBar: 4, exitPrice: 10 });
    expect(trade.quantity).toBeCloseTo(1200 / 11, 12);
    expect(result.metrics.finalEquity).toBeCloseTo((1200 / 11) * 10, 9);
  });

  it('NEXT_OPEN drops a signal on the last bar (there is no next open)', () => {
    const candles = candlesFromTable(`
      bar  open  close  note
      0    10    10
      1    10    9
      2    9     11     bullish cross on the last bar
    `);
    expect(run({ fillTiming: 'NEXT_OPEN' }, candles).trades).toEqual([]);
  });

  it('CLOSE opens no position at the last close, but exits there', () => {
    const entryOnLast = candlesFromTable(`
      bar  open  close  note
      0    10    10
      1    10    9
      2    9     11     bullish cross on the last bar: not taken
    `);
    expect(run({ fillTiming: 'CLOSE' }, entryOnLast).trades).toEqual([]);
    // The round trip cut after bar 4: the bearish cross is on the last bar.
    const candles = sliceCandles(ROUND_TRIP, 0, 5);
    const trade = only(run({ fillTiming: 'CLOSE' }, candles).trades);
    expect(trade).toMatchObject({ exitBar: 4, exitPrice: 10, exitReason: 'SIGNAL' });
  });
});

describe('costs', () => {
  it('charges commission on both fills as a fraction of notional', () => {
    const commission = 0.01;
    const result = run({ commission });
    const trade = only(result.trades);
    const quantity = 1200 / (12 * 1.01); // the position and its fee fit in the equity
    expect(trade.quantity).toBeCloseTo(quantity, 10);
    const entryFee = commission * quantity * 12;
    const exitFee = commission * quantity * 9;
    expect(trade.fees).toBeCloseTo(entryFee + exitFee, 10);
    expect(result.metrics.totalFees).toBeCloseTo(entryFee + exitFee, 10);
    expect(trade.pnl).toBeCloseTo((9 - 12) * quantity - entryFee - exitFee, 10);
    expect(result.metrics.finalEquity).toBeCloseTo(1200 - quantity * 12 - entryFee + quantity * 9 - exitFee, 10);
    // Cash after entry is exactly zero, so equity at bar 3's close is the position alone.
    expect(result.equity.equity[3]).toBeCloseTo(quantity * 12, 10);
  });

  it('moves long fills against the trade: buys pay more, sells receive less', () => {
    const trade = only(run({ slippage: 0.01 }).trades);
    expect(trade.entryPrice).toBeCloseTo(12 * 1.01, 12);
    expect(trade.exitPrice).toBeCloseTo(9 * 0.99, 12);
    expect(trade.quantity).toBeCloseTo(1200 / (12 * 1.01), 10);
  });

  it('moves short fills against the trade: short sales receive less, covers pay more', () => {
    const candles = candlesFromTable(`
      bar  open  close  note
      0    10    10
      1    10    11     rising
      2    11    9      turns down: bearish cross (short signal)
      3    9     8
      4    8     10     turns up after falling: bullish cross (cover, then long)
      5    11    11
    `);
    const result = run({ slippage: 0.01, allowShort: true }, candles);
    const short = result.trades[0];
    expect(short).toMatchObject({ side: 'SHORT', entryBar: 3, exitBar: 5 });
    expect(short.entryPrice).toBeCloseTo(9 * 0.99, 12);
    expect(short.exitPrice).toBeCloseTo(11 * 1.01, 12);
    expect(short.pnl).toBeCloseTo((9 * 0.99 - 11 * 1.01) * short.quantity, 10);
  });
});

describe('sizing', () => {
  it('commits positionSize × equity and keeps the rest in cash', () => {
    const result = run({ positionSize: 0.5 });
    const trade = only(result.trades);
    expect(trade.quantity).toBeCloseTo(50, 12); // 0.5 × 1200 / 12
    expect(result.equity.equity[4]).toBeCloseTo(600 + 50 * 10, 10);
    expect(result.metrics.finalEquity).toBeCloseTo(600 + 50 * 9, 10);
  });

  it.each([
    { lotSize: 10, quantity: 80 }, // 1000 / 12 = 83.33 → 8 whole lots of 10
    { lotSize: 1, quantity: 83 },
    { lotSize: 0.5, quantity: 83 },
    { lotSize: 0.3, quantity: 83.1 }, // 277 lots of 0.3
  ])('rounds the quantity down to whole lots of $lotSize', ({ lotSize, quantity }) => {
    const trade = only(run({ initialCapital: 1000, lotSize }).trades);
    expect(trade.quantity).toBeCloseTo(quantity, 9);
  });

  it('skips an entry when not even one lot is affordable', () => {
    const result = run({ initialCapital: 1000, lotSize: 100 });
    expect(result.trades).toEqual([]);
    expect(result.metrics.finalEquity).toBe(1000);
    // Said, not silent (issue 13, finding 14): every entry signal was skipped.
    expect(result.assumptions.entriesSkipped).toBeGreaterThan(0);
    expect(run({ initialCapital: 1000, lotSize: 1 }).assumptions.entriesSkipped).toBe(0);
  });
});

describe('end of data', () => {
  it('closes a position still open at the last close and counts it as a trade', () => {
    const candles = candlesFromTable(`
      bar  open  close  note
      0    10    10
      1    10    9
      2    9     11     bullish cross
      3    12    12     bought at this open
      4    12    15     still long at the end
    `);
    const result = run({ commission: 0.001 }, candles);
    const trade = only(result.trades);
    expect(trade).toMatchObject({ entryBar: 3, exitBar: 4, exitPrice: 15, exitReason: 'END_OF_DATA', barsHeld: 1 });
    expect(result.metrics.tradeCount).toBe(1);
    // The last mark is the cash after the close-out, exit fee included.
    const q = 1200 / (12 * 1.001);
    expect(result.equity.equity[4]).toBeCloseTo(q * 15 * 0.999, 9);
    expect(result.metrics.finalEquity).toBe(result.equity.equity[4]);
  });
});

describe('signals', () => {
  it('gives no signal before every indicator it uses is defined (warm-up)', () => {
    // SMA(1) vs SMA(3): SMA(3) is defined from bar 2, so the first possible cross is bar 3.
    const candles = candlesFromTable(`
      bar  open  close  note
      0    10    10     SMA(3) undefined
      1    10    8      SMA(3) undefined
      2    8     12     close 12 > SMA(3) 10, but SMA(3) was undefined at bar 1: no cross
      3    12    13     above on both bars: no cross
      4    13    9      bearish cross (flat: nothing to do)
      5    9     9
    `);
    const result = run({ fillTiming: 'CLOSE' }, candles, { kind: 'SMA_CROSSOVER', params: { fast: 1, slow: 3 } });
    expect(result.trades).toEqual([]);
  });

  it.each([
    {
      case: 'equal on the previous bar',
      table: `
        bar  open  close  note
        0    10    10
        1    10    10     fast = slow
        2    10    11     above now, but was equal, not below: no cross
        3    11    12
      `,
    },
    {
      case: 'equal on the current bar',
      table: `
        bar  open  close  note
        0    10    10
        1    10    9      below
        2    9     9      touches (fast = slow): no cross
        3    9     9
      `,
    },
  ])('treats crossovers strictly: $case is not a cross', ({ table }) => {
    expect(run({ fillTiming: 'CLOSE' }, candlesFromTable(table)).trades).toEqual([]);
  });
});

describe('shorting', () => {
  const ZIGZAG = candlesFromTable(`
    bar  open  close  note
    0    10    10
    1    10    9
    2    9     11     bullish cross
    3    12    12     long at this open
    4    12    10     bearish cross
    5    9     8      long closed and (with shorting) short opened at this open
    6    8     10     bullish cross
    7    11    11     short covered and long opened at this open; closed at this close (end)
  `);

  it('reverses on the opposite signal when shorting is allowed', () => {
    const { trades } = run({ allowShort: true }, ZIGZAG);
    expect(trades.map((t) => [t.side, t.entryBar, t.entryPrice, t.exitBar, t.exitPrice, t.exitReason])).toEqual([
      ['LONG', 3, 12, 5, 9, 'SIGNAL'],
      ['SHORT', 5, 9, 7, 11, 'SIGNAL'],
      ['LONG', 7, 11, 7, 11, 'END_OF_DATA'],
    ]);
    const short = trades[1];
    expect(short.quantity).toBeCloseTo(900 / 9, 12); // sized from the equity after the long's exit
    expect(short.pnl).toBeCloseTo(-200, 9);
  });

  it('never shorts when shorting is off: the bearish signal only exits', () => {
    const { trades } = run({ allowShort: false }, ZIGZAG);
    expect(trades.map((t) => [t.side, t.entryBar, t.exitBar])).toEqual([
      ['LONG', 3, 5],
      ['LONG', 7, 7],
    ]);
  });

  it('marks a short at cash − quantity × close', () => {
    const result = run({ allowShort: true }, ZIGZAG);
    // Bar 5: long sold at 9 (cash 900), short 100 units at 9 (cash 1800), close 8.
    expect(result.equity.equity[5]).toBeCloseTo(1800 - 100 * 8, 9);
    expect(result.equity.equity[6]).toBeCloseTo(1800 - 100 * 10, 9);
  });
});

describe('zero-trade runs', () => {
  it('report undefined metrics as null, never NaN or Infinity', () => {
    const flat = candlesFromTable(`
      bar  open  close
      0    10    10
      1    10    10
      2    10    10
      3    10    10
    `);
    const { metrics, trades } = run({}, flat);
    expect(trades).toEqual([]);
    const nulls: (keyof BacktestMetrics)[] = [
      'sharpe',
      'sortino',
      'calmar',
      'winRate',
      'profitFactor',
      'expectancy',
      'averageTradeReturn',
      'bestTradeReturn',
      'worstTradeReturn',
      'averageBarsHeld',
    ];
    for (const name of nulls) expect([name, metrics[name]]).toEqual([name, null]);
    expect(metrics).toMatchObject({
      totalReturn: 0,
      cagr: 0,
      annualVolatility: 0,
      maxDrawdown: 0,
      maxDrawdownDuration: 0,
      exposure: 0,
      totalFees: 0,
      finalEquity: 1200,
      tradeCount: 0,
      buyAndHoldReturn: 0,
    });
    for (const value of Object.values(metrics)) expect(value === null || Number.isFinite(value)).toBe(true);
  });

  it('a single bar gives null for everything that needs a span or a variance', () => {
    const one = candlesFromTable(`
      bar  open  close
      0    10    10
    `);
    const { metrics, assumptions } = run({}, one, { kind: 'BUY_AND_HOLD' });
    expect(assumptions.periodsPerYear).toBeNull();
    expect(metrics).toMatchObject({ cagr: null, annualVolatility: null, sharpe: null, sortino: null, tradeCount: 0 });
  });
});

describe('input validation', () => {
  it('throws BacktestInputError with every issue and its path', () => {
    let error: unknown;
    try {
      runBacktest(ROUND_TRIP, { kind: 'SMA_CROSSOVER', params: { fast: 30, slow: 10 } }, { commission: 1.5, positionSize: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BacktestInputError);
    const issues = (error as BacktestInputError).issues.map((i) => i.path.join('.'));
    expect(issues).toEqual(['strategy.params.fast', 'config.commission', 'config.positionSize']);
  });

  it('rejects an unknown kind', () => {
    expect(() => runBacktest(ROUND_TRIP, { kind: 'MOON' })).toThrow(
      expect.objectContaining({
        issues: [{ path: ['strategy', 'kind'], message: expect.stringContaining('Unknown strategy kind "MOON"') }],
      }),
    );
  });

  it.each([
    ['a NaN close', { close: [10, 9, NaN, 12, 10, 10] }, ['candles', 'close', '2'], 'close must be a finite price > 0; bar 2 has NaN.'],
    ['a negative close', { close: [10, 9, 11, 12, -1, 10] }, ['candles', 'close', '4'], 'close must be a finite price > 0; bar 4 has -1.'],
    ['a zero open it fills at', { open: [10, 10, 9, 0, 12, 9] }, ['candles', 'open', '3'], 'open must be a finite price > 0; bar 3 has 0.'],
    ['a repeated time', { time: [0, 1, 2, 2, 4, 5] }, ['candles', 'time', '3'], 'Bar times must be finite and strictly increasing; bar 3 has 2 after 2.'],
  ])('rejects candles with %s', (_case, override, path, message) => {
    const columns = Object.fromEntries(Object.entries(override).map(([k, v]) => [k, Float64Array.from(v)]));
    expect(() => run({}, { ...ROUND_TRIP, ...columns })).toThrow(expect.objectContaining({ issues: [{ path, message }] }));
  });

  it('rejects mismatched column lengths before running', () => {
    const bad = { ...ROUND_TRIP, open: ROUND_TRIP.open.subarray(0, 3) };
    expect(() => run({}, bad)).toThrow(
      expect.objectContaining({ issues: [{ path: ['candles', 'open'], message: 'open has 3 values but time has 6.' }] }),
    );
  });
});
