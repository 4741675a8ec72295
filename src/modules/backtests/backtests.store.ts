import type pg from 'pg';
import { copyColumnsInto } from '../../db/binary-copy.js';
import type { Database } from '../../db/pool.js';
import type { BacktestAssumptions, BacktestMetrics, TradeColumns } from '../../engine/index.js';
import type { BacktestStatus } from '../../generated/prisma/client.js';

/**
 * Raw SQL over `backtest`, `backtest_batch` and `trade` for the run lifecycle: the
 * statements Prisma cannot express (conditional claims with RETURNING, set-based result
 * writes, binary COPY of trades). Every write is set-based, so a chunk of a batch costs the
 * same few statements whether it has one child or a hundred.
 */
type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** What the run lifecycle reads of a backtest row. */
export interface RunRow {
  id: string;
  status: BacktestStatus;
  strategyId: string;
  batchId: string | null;
  instrumentId: number;
  symbol: string;
  interval: string;
  from: Date;
  to: Date;
  config: Record<string, unknown>;
  progress: number;
  barsProcessed: number;
  totalBars: number;
  error: string | null;
  startedAt: Date | null;
}

const RUN_COLUMNS = `id, status, strategy_id AS "strategyId", batch_id AS "batchId", instrument_id AS "instrumentId",
  symbol, interval, from_ts AS "from", to_ts AS "to", config, progress, bars_processed AS "barsProcessed",
  total_bars AS "totalBars", error, started_at AS "startedAt"`;

/** What the run lifecycle reads of a batch row. */
export interface BatchRow {
  id: string;
  status: BacktestStatus;
  strategyId: string;
  interval: string;
  from: Date;
  to: Date;
  config: Record<string, unknown>;
  total: number;
  completed: number;
  failed: number;
  startedAt: Date | null;
}

const BATCH_COLUMNS = `id, status, strategy_id AS "strategyId", interval, from_ts AS "from", to_ts AS "to", config,
  total, completed, failed, started_at AS "startedAt"`;

/** A completed run's result, as the engine thread returned it. */
export interface RunResult {
  id: string;
  barsProcessed: number;
  totalBars: number;
  metrics: BacktestMetrics;
  assumptions: BacktestAssumptions;
  equity: { time: number[]; equity: number[]; drawdown: number[] };
  trades: TradeColumns;
  finishedAt: Date;
  durationMs: number;
}

/** A run that ended without a result. */
export interface RunEnd {
  id: string;
  status: 'FAILED' | 'CANCELLED';
  error: string | null;
  barsProcessed: number;
  finishedAt: Date;
  durationMs: number | null;
}

const TRADE_COLUMNS = ['backtest_id', 'seq', 'side', 'entry_time', 'entry_price', 'exit_time', 'exit_price', 'quantity', 'pnl', 'return_pct', 'fees', 'bars_held'];
const SIDE_TEXT = { long: Buffer.from('LONG'), short: Buffer.from('SHORT') };

function uuidBytes(id: string): Buffer {
  const bytes = Buffer.from(id.replace(/-/g, ''), 'hex');
  if (bytes.length !== 16) throw new Error(`not a uuid: ${id}`);
  return bytes;
}

/** The claim of a run: RUNNING, or CANCELLED at once when a cancel was requested while it waited. */
const CLAIM_SET = `
  status = (CASE WHEN cancel_requested_at IS NULL THEN 'RUNNING' ELSE 'CANCELLED' END)::backtest_status,
  started_at = coalesce(started_at, $2),
  finished_at = CASE WHEN cancel_requested_at IS NULL THEN NULL ELSE $2 END,
  attempts = attempts + (CASE WHEN cancel_requested_at IS NULL THEN 1 ELSE 0 END),
  progress = 0, bars_processed = 0, error = NULL`;

export class BacktestsStore {
  constructor(private readonly db: Database) {}

  /**
   * Claims a single run: QUEUED or RUNNING (a retried or stalled attempt) → RUNNING, or →
   * CANCELLED when a cancel was requested. Null when the run is gone or already finished.
   */
  async claimRun(id: string, now: Date): Promise<RunRow | null> {
    const { rows } = await this.db.pool.query<RunRow>(
      `/* claimRun */ UPDATE backtest SET ${CLAIM_SET} WHERE id = $1 AND status IN ('QUEUED', 'RUNNING') RETURNING ${RUN_COLUMNS}`,
      [id, now],
    );
    return rows[0] ?? null;
  }

  /** Claims a batch (→ RUNNING); null when it is gone or already finished. */
  async claimBatch(id: string, now: Date): Promise<BatchRow | null> {
    const { rows } = await this.db.pool.query<BatchRow>(
      `/* claimBatch */
       UPDATE backtest_batch SET status = 'RUNNING', started_at = coalesce(started_at, $2)
       WHERE id = $1 AND status IN ('QUEUED', 'RUNNING') RETURNING ${BATCH_COLUMNS}`,
      [id, now],
    );
    return rows[0] ?? null;
  }

  /** Children of a batch still to run (QUEUED, or RUNNING in an interrupted attempt), by symbol. */
  async listUnfinishedChildren(batchId: string): Promise<Array<{ id: string; instrumentId: number; symbol: string }>> {
    const { rows } = await this.db.pool.query<{ id: string; instrumentId: number; symbol: string }>(
      `/* listUnfinishedChildren */
       SELECT id, instrument_id AS "instrumentId", symbol FROM backtest
       WHERE batch_id = $1 AND status IN ('QUEUED', 'RUNNING') ORDER BY symbol`,
      [batchId],
    );
    return rows;
  }

  /** Claims a chunk of a batch's children in one statement (see claimRun); finished ones are left out. */
  async claimChildren(batchId: string, ids: readonly string[], now: Date): Promise<RunRow[]> {
    const { rows } = await this.db.pool.query<RunRow>(
      `/* claimChildren */
       UPDATE backtest SET ${CLAIM_SET}
       WHERE batch_id = $1 AND id = ANY($3::uuid[]) AND status IN ('QUEUED', 'RUNNING')
       RETURNING ${RUN_COLUMNS}`,
      [batchId, now, ids],
    );
    return rows;
  }

  /**
   * Writes the outcome of runs in the caller's transaction, set-based: every completed run's
   * trades in one binary COPY (replacing an earlier attempt's: idempotent by backtest id),
   * their results in one UPDATE, the runs that ended without one in another. Two attempts
   * at the same runs (a stalled job retried while the first still writes) take turns on
   * transaction locks, so the second's DELETE sees and removes the first's trades.
   */
  async writeOutcomes(client: pg.PoolClient, results: readonly RunResult[], ends: readonly RunEnd[]): Promise<void> {
    if (results.length) {
      await replaceTrades(client, results);
      await client.query(
        `/* writeOutcomes */
         UPDATE backtest b SET status = 'COMPLETED', progress = 1, bars_processed = r.bars_processed, total_bars = r.total_bars,
                metrics = r.metrics, equity_curve = r.equity_curve, assumptions = r.assumptions,
                finished_at = r.finished_at, duration_ms = r.duration_ms, error = NULL
         FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, bars_processed int, total_bars int, metrics jsonb, equity_curve jsonb,
                                                assumptions jsonb, finished_at timestamptz, duration_ms int)
         WHERE b.id = r.id`,
        [
          JSON.stringify(
            results.map((r) => ({
              id: r.id,
              bars_processed: r.barsProcessed,
              total_bars: r.totalBars,
              metrics: r.metrics,
              equity_curve: r.equity,
              assumptions: r.assumptions,
              finished_at: r.finishedAt,
              duration_ms: r.durationMs,
            })),
          ),
        ],
      );
    }
    if (ends.length) await this.writeEnds(client, ends);
  }

  /**
   * Ends RUNNING runs as FAILED or CANCELLED (one statement for any number); runs that ended
   * already (e.g. cancelled when claimed) are left as they are. Returns the ids it ended.
   */
  async writeEnds(db: Queryable, ends: readonly RunEnd[]): Promise<Set<string>> {
    const { rows } = await db.query<{ id: string }>(
      `/* writeEnds */
       UPDATE backtest b SET status = r.status::backtest_status, error = r.error, bars_processed = r.bars_processed,
              finished_at = r.finished_at, duration_ms = r.duration_ms
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, status text, error text, bars_processed int, finished_at timestamptz, duration_ms int)
       WHERE b.id = r.id AND b.status = 'RUNNING'
       RETURNING b.id`,
      [
        JSON.stringify(
          ends.map((e) => ({ id: e.id, status: e.status, error: e.error, bars_processed: e.barsProcessed, finished_at: e.finishedAt, duration_ms: e.durationMs })),
        ),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Adds finished children to a batch's counters; returns the counters after. */
  async countChildren(db: Queryable, batchId: string, completed: number, failed: number): Promise<Pick<BatchRow, 'id' | 'status' | 'total' | 'completed' | 'failed'>> {
    const { rows } = await db.query<Pick<BatchRow, 'id' | 'status' | 'total' | 'completed' | 'failed'>>(
      `/* countChildren */
       UPDATE backtest_batch SET completed = completed + $2, failed = failed + $3 WHERE id = $1
       RETURNING id, status, total, completed, failed`,
      [batchId, completed, failed],
    );
    return rows[0]!;
  }

  /** Runs back to QUEUED for another attempt (an infrastructure failure the queue retries). */
  async requeue(ids: readonly string[]): Promise<void> {
    await this.db.pool.query(`/* requeue */ UPDATE backtest SET status = 'QUEUED' WHERE id = ANY($1::uuid[]) AND status = 'RUNNING'`, [ids]);
  }

  /** Latest progress of a running backtest (best effort; dashboards get events, readers poll this). */
  async writeProgress(id: string, progress: number, barsProcessed: number, totalBars: number): Promise<void> {
    await this.db.pool.query(
      `/* writeProgress */ UPDATE backtest SET progress = $2, bars_processed = $3, total_bars = $4 WHERE id = $1 AND status = 'RUNNING'`,
      [id, progress, barsProcessed, totalBars],
    );
  }

  /** Every child's status and total return (for the batch summary). */
  async listChildReturns(batchId: string): Promise<Array<{ symbol: string; status: BacktestStatus; totalReturn: number | null }>> {
    const { rows } = await this.db.pool.query<{ symbol: string; status: BacktestStatus; metrics: { totalReturn: number | null } | null }>(
      `/* listChildReturns */ SELECT symbol, status, metrics FROM backtest WHERE batch_id = $1`,
      [batchId],
    );
    return rows.map((r) => ({ symbol: r.symbol, status: r.status, totalReturn: r.metrics?.totalReturn ?? null }));
  }

  /** Closes a batch with its final counters and summary. */
  async completeBatch(
    id: string,
    data: { completed: number; failed: number; summary: unknown; finishedAt: Date; durationMs: number; dataFetchMs: number },
  ): Promise<Pick<BatchRow, 'id' | 'status' | 'total' | 'completed' | 'failed'>> {
    const { rows } = await this.db.pool.query<Pick<BatchRow, 'id' | 'status' | 'total' | 'completed' | 'failed'>>(
      `/* completeBatch */
       UPDATE backtest_batch SET status = 'COMPLETED', completed = $2, failed = $3, summary = $4, finished_at = $5,
              duration_ms = $6, data_fetch_ms = $7
       WHERE id = $1 RETURNING id, status, total, completed, failed`,
      [id, data.completed, data.failed, JSON.stringify(data.summary), data.finishedAt, data.durationMs, Math.round(data.dataFetchMs)],
    );
    return rows[0]!;
  }
}

/**
 * Replaces the trades of runs (idempotent by backtest id: a retried attempt rewrites the same
 * rows) with one binary COPY for all of them (one row per trade, `seq` from 0 per run). Must
 * run inside the caller's transaction: the runs' transaction locks are taken in id order (no
 * deadlock between two writers of overlapping runs) and held until it ends.
 */
export async function replaceTrades(client: pg.PoolClient, results: ReadonlyArray<Pick<RunResult, 'id' | 'trades'>>): Promise<void> {
  const ids = results.map((r) => r.id).sort();
  await client.query(`/* replaceTrades */ SELECT pg_advisory_xact_lock(hashtext('quantql:trades:' || id)) FROM unnest($1::text[]) AS id ORDER BY id`, [ids]);
  await client.query(`/* replaceTrades */ DELETE FROM trade WHERE backtest_id = ANY($1::uuid[])`, [ids]);
  const total = results.reduce((n, r) => n + r.trades.count, 0);
  if (total === 0) return;
  const owner = new Int32Array(total);
  const seq = new Int32Array(total);
  const float = () => new Float64Array(total);
  const columns = { entryTime: float(), entryPrice: float(), exitTime: float(), exitPrice: float(), quantity: float(), pnl: float(), returnPct: float(), fees: float() };
  const side = new Int8Array(total);
  const barsHeld = new Int32Array(total);
  let at = 0;
  results.forEach((r, k) => {
    const t = r.trades;
    const n = t.count;
    owner.fill(k, at, at + n);
    for (let i = 0; i < n; i++) seq[at + i] = i;
    for (const name of Object.keys(columns) as Array<keyof typeof columns>) columns[name].set(t[name].subarray(0, n), at);
    side.set(t.side.subarray(0, n), at);
    barsHeld.set(t.barsHeld.subarray(0, n), at);
    at += n;
  });
  const uuids = results.map((r) => uuidBytes(r.id));
  await copyColumnsInto(client, 'trade', TRADE_COLUMNS, [
    { type: 'bytes', at: (i) => uuids[owner[i]!]! },
    { type: 'int4', values: seq },
    { type: 'bytes', at: (i) => (side[i]! > 0 ? SIDE_TEXT.long : SIDE_TEXT.short) },
    { type: 'timestamptz', values: columns.entryTime },
    { type: 'float8', values: columns.entryPrice },
    { type: 'timestamptz', values: columns.exitTime },
    { type: 'float8', values: columns.exitPrice },
    { type: 'float8', values: columns.quantity },
    { type: 'float8', values: columns.pnl },
    { type: 'float8', values: columns.returnPct },
    { type: 'float8', values: columns.fees },
    { type: 'int4', values: barsHeld },
  ]);
}
