import type pg from 'pg';
import type { TradeColumnsOut } from '../../jobs/engine-pool.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Replaces a backtest's trades (idempotent by backtest id: a retried job rewrites the same
 * rows). One statement for any number of trades.
 */
export async function replaceTrades(db: Queryable, backtestId: string, t: TradeColumnsOut): Promise<void> {
  await db.query(`/* replaceTrades */ DELETE FROM trade WHERE backtest_id = $1`, [backtestId]);
  if (t.side.length === 0) return;
  await db.query(
    `/* replaceTrades */
     INSERT INTO trade (backtest_id, seq, side, entry_time, entry_price, exit_time, exit_price, quantity, pnl, return_pct, fees, bars_held)
     SELECT $1, u.ord - 1, CASE WHEN u.side > 0 THEN 'LONG' ELSE 'SHORT' END,
            to_timestamp(u.et / 1000.0), u.ep, to_timestamp(u.xt / 1000.0), u.xp, u.q, u.pnl, u.rp, u.fees, u.bh
     FROM unnest($2::int[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::int[])
          WITH ORDINALITY AS u(side, et, ep, xt, xp, q, pnl, rp, fees, bh, ord)
     ON CONFLICT (backtest_id, seq) DO UPDATE SET side = EXCLUDED.side, entry_time = EXCLUDED.entry_time,
       entry_price = EXCLUDED.entry_price, exit_time = EXCLUDED.exit_time, exit_price = EXCLUDED.exit_price,
       quantity = EXCLUDED.quantity, pnl = EXCLUDED.pnl, return_pct = EXCLUDED.return_pct, fees = EXCLUDED.fees,
       bars_held = EXCLUDED.bars_held`,
    [
      backtestId,
      Array.from(t.side),
      Array.from(t.entryTime),
      Array.from(t.entryPrice),
      Array.from(t.exitTime),
      Array.from(t.exitPrice),
      Array.from(t.quantity),
      Array.from(t.pnl),
      Array.from(t.returnPct),
      Array.from(t.fees),
      Array.from(t.barsHeld),
    ],
  );
}
