import type pg from 'pg';
import { copyColumnsInto } from '../../db/binary-copy.js';
import type { TradeColumnsOut } from '../../jobs/engine-pool.js';

const SIDE_TEXT = { long: Buffer.from('LONG'), short: Buffer.from('SHORT') };

/**
 * Replaces a backtest's trades (idempotent by backtest id: a retried job rewrites the same
 * rows), by binary COPY: a batch writes hundreds of thousands of trades. Must run inside
 * the caller's transaction; two attempts at the same backtest (a stalled job retried while
 * the first still writes) take turns on a transaction lock, so the second's DELETE sees and
 * removes the first's rows instead of colliding with them.
 */
export async function replaceTrades(client: pg.PoolClient, backtestId: string, t: TradeColumnsOut): Promise<void> {
  const uuid = Buffer.from(backtestId.replace(/-/g, ''), 'hex');
  if (uuid.length !== 16) throw new Error(`not a uuid: ${backtestId}`);
  await client.query(`/* replaceTrades */ SELECT pg_advisory_xact_lock(hashtext('quantql:trades:' || $1))`, [backtestId]);
  await client.query(`/* replaceTrades */ DELETE FROM trade WHERE backtest_id = $1`, [backtestId]);
  const n = t.side.length;
  if (n === 0) return;
  const seq = new Int32Array(n);
  for (let i = 0; i < n; i++) seq[i] = i;
  await copyColumnsInto(
    client,
    'trade',
    ['backtest_id', 'seq', 'side', 'entry_time', 'entry_price', 'exit_time', 'exit_price', 'quantity', 'pnl', 'return_pct', 'fees', 'bars_held'],
    [
      { type: 'bytes', at: () => uuid },
      { type: 'int4', values: seq },
      { type: 'bytes', at: (i) => (t.side[i]! > 0 ? SIDE_TEXT.long : SIDE_TEXT.short) },
      { type: 'timestamptz', values: t.entryTime },
      { type: 'float8', values: t.entryPrice },
      { type: 'timestamptz', values: t.exitTime },
      { type: 'float8', values: t.exitPrice },
      { type: 'float8', values: t.quantity },
      { type: 'float8', values: t.pnl },
      { type: 'float8', values: t.returnPct },
      { type: 'float8', values: t.fees },
      { type: 'int4', values: t.barsHeld },
    ],
  );
}
