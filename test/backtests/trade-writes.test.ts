import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Runtime as Deps } from '../../src/deps.js';
import type { TradeColumns } from '../../src/engine/index.js';
import { replaceTrades } from '../../src/modules/backtests/backtests.store.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';

/**
 * Trade rows written by binary COPY: every field exact, a re-run replaces rather than
 * appends, and two attempts writing the same backtest at once end with one attempt's
 * trades, never a mix or a duplicate-key failure.
 */
let deps: Deps;
let backtestId: string;

beforeAll(async () => {
  deps = await createTestDeps();
  const strategy = await deps.prisma.strategy.create({ data: { owner: 'trades', name: 's', kind: 'BUY_AND_HOLD', parameters: {} } });
  const instrument = await deps.prisma.instrument.create({ data: { symbol: uniqueName('TRD'), name: 'x', baseInterval: '1h' } });
  const backtest = await deps.prisma.backtest.create({
    data: { owner: 'trades', strategyId: strategy.id, instrumentId: instrument.id, symbol: instrument.symbol, interval: '1h', from: new Date(0), to: new Date(1), config: {}, cacheKey: uniqueName('k') },
  });
  backtestId = backtest.id;
});
afterAll(async () => deps.close());

function trades(n: number, offset: number): TradeColumns {
  const f = (k: number) => Float64Array.from({ length: n }, (_, i) => offset + i * 10 + k + 0.25);
  return {
    count: n,
    entryBar: Int32Array.from({ length: n }, (_, i) => i),
    exitBar: Int32Array.from({ length: n }, (_, i) => i + 1),
    endOfData: new Uint8Array(n),
    side: Int8Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1)),
    entryTime: Float64Array.from({ length: n }, (_, i) => Date.UTC(1999, 11, 31) + (offset + i) * 3_600_000 + 123),
    entryPrice: f(1),
    exitTime: Float64Array.from({ length: n }, (_, i) => Date.UTC(2000, 0, 2) + (offset + i) * 3_600_000),
    exitPrice: f(2),
    quantity: f(3),
    pnl: Float64Array.from({ length: n }, (_, i) => (i % 3 ? -1 : 1) * (offset + i)),
    returnPct: f(5),
    fees: f(6),
    barsHeld: Int32Array.from({ length: n }, (_, i) => offset + i),
  };
}

async function write(t: TradeColumns, hold?: Promise<void>) {
  const client = await deps.db.pool.connect();
  try {
    await client.query('BEGIN');
    await replaceTrades(client, [{ id: backtestId, trades: t }]);
    await hold;
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

async function stored() {
  const { rows } = await deps.db.pool.query<{ seq: number; side: string; et: number; ep: number; xt: number; pnl: number; bh: number }>(
    `SELECT seq, side, (extract(epoch FROM entry_time) * 1000)::float8 AS et, entry_price AS ep,
            (extract(epoch FROM exit_time) * 1000)::float8 AS xt, pnl, bars_held AS bh
     FROM trade WHERE backtest_id = $1 ORDER BY seq`,
    [backtestId],
  );
  return rows;
}

describe('replaceTrades', () => {
  it('stores every field exactly and replaces the previous attempt', async () => {
    await write(trades(5, 0));
    const t = trades(3, 100);
    await write(t);
    const rows = await stored();
    expect(rows).toEqual(
      [0, 1, 2].map((i) => ({
        seq: i,
        side: i % 2 ? 'SHORT' : 'LONG',
        et: t.entryTime[i],
        ep: t.entryPrice[i],
        xt: t.exitTime[i],
        pnl: t.pnl[i],
        bh: t.barsHeld[i],
      })),
    );
    await write(trades(0, 0));
    expect(await stored()).toEqual([]);
  });

  it('lets two concurrent attempts at one backtest finish one after the other', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = write(trades(400, 0), held); // holds its transaction open after writing
    // The second attempt must wait for the first's lock: prove it is blocked, then let the first commit.
    const second = write(trades(250, 1_000));
    const waiting = async () => {
      for (;;) {
        const { rows } = await deps.db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%replaceTrades%'`,
        );
        if (rows[0]!.n > 0) return;
        await new Promise((r) => setImmediate(r));
      }
    };
    await waiting();
    release();
    await Promise.all([first, second]);
    const rows = await stored();
    expect(rows).toHaveLength(250);
    expect(rows[0]!.bh).toBe(1_000);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });
});
