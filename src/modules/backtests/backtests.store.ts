import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { copyByteRowsInto } from '../../db/binary-copy.js';
import type { Database } from '../../db/pool.js';
import type { Backtest, BacktestStatus } from '../../generated/prisma/client.js';
import type { EngineOutcome } from '../../threads/engine-pool.js';
import { packEquity, packTrades } from './result-columns.js';

/**
 * Raw SQL over `backtest`, `backtest_batch` and `backtest_result` for the run lifecycle:
 * the statements Prisma cannot express (conditional claims with RETURNING, set-based result
 * writes). Every write is set-based, so a chunk of a batch costs the
 * same few statements whether it has one child or a hundred.
 *
 * Attempts fence each other: a claim increments `attempts` and returns it, and every later
 * write of that attempt requires the row to be RUNNING with that same value. When BullMQ
 * gives a stalled job to another worker while the first is still alive, the first one's
 * writes match nothing and change nothing — no overwritten result, no double count.
 */
type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** What the run lifecycle reads of a backtest row. */
export interface RunRow {
  id: string;
  status: BacktestStatus;
  strategyId: string;
  /** The strategy kind and parameters recorded at submission: what the run runs with. */
  strategyKind: string;
  parameters: Record<string, number>;
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
  /** The claiming attempt's fence (see the file comment). */
  attempts: number;
}

/** Every column of `backtest`, named as Prisma's Backtest names them. */
const BACKTEST_COLUMNS = `id, owner, strategy_id AS "strategyId", strategy_kind AS "strategyKind", parameters, batch_id AS "batchId", instrument_id AS "instrumentId", symbol, interval,
  from_ts AS "from", to_ts AS "to", config, cache_key AS "cacheKey", status, progress, bars_processed AS "barsProcessed",
  total_bars AS "totalBars", from_cache AS "fromCache", error, metrics, queued_at AS "queuedAt", started_at AS "startedAt",
  finished_at AS "finishedAt", duration_ms AS "durationMs", assumptions, cancel_requested_at AS "cancelRequestedAt", attempts,
  result_source_id AS "resultSourceId"`;

/** A single run to create: what identifies it and what it runs on. */
export interface NewRunRow {
  owner: string;
  strategyId: string;
  strategyKind: string;
  parameters: Record<string, number>;
  instrumentId: number;
  symbol: string;
  interval: string;
  from: Date;
  to: Date;
  config: unknown;
  cacheKey: string;
}

const RUN_COLUMNS = `id, status, strategy_id AS "strategyId", strategy_kind AS "strategyKind", parameters, batch_id AS "batchId", instrument_id AS "instrumentId",
  symbol, interval, from_ts AS "from", to_ts AS "to", config, progress, bars_processed AS "barsProcessed",
  total_bars AS "totalBars", error, started_at AS "startedAt", attempts`;

/** A batch's counters, as events report them. */
export interface BatchCounters {
  id: string;
  status: BacktestStatus;
  total: number;
  completed: number;
  failed: number;
}

const COUNTER_COLUMNS = 'id, status, total, completed, failed';

/** What the run lifecycle reads of a batch row. */
export interface BatchRow extends BatchCounters {
  strategyId: string;
  /** The strategy kind and parameters recorded at submission: what every child runs with. */
  strategyKind: string;
  parameters: Record<string, number>;
  interval: string;
  from: Date;
  to: Date;
  config: Record<string, unknown>;
  startedAt: Date | null;
}

const BATCH_COLUMNS = `${COUNTER_COLUMNS}, strategy_id AS "strategyId", strategy_kind AS "strategyKind", parameters, interval, from_ts AS "from", to_ts AS "to", config, started_at AS "startedAt"`;

/** A completed run's result (the engine's), with the attempt that produced it. */
export type RunResult = Omit<Extract<EngineOutcome, { type: 'done' }>, 'type'> & {
  id: string;
  attempts: number;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
};

/** A run that ended without a result. */
export interface RunEnd {
  id: string;
  attempts: number;
  status: 'FAILED' | 'CANCELLED';
  error: string | null;
  barsProcessed: number;
  finishedAt: Date;
  durationMs: number | null;
}

/** A completed run the result cache answers with. */
export interface CachedRun {
  /** The run whose trades and curve it shows (itself, or the run it was answered from). */
  sourceId: string;
  barsProcessed: number;
  totalBars: number;
  metrics: unknown;
  assumptions: unknown;
}

/** A new batch and its children (QUEUED, or COMPLETED from an identical finished run). */
export interface NewBatchRows {
  owner: string;
  strategyId: string;
  strategyKind: string;
  parameters: Record<string, number>;
  interval: string;
  from: Date;
  to: Date;
  config: Record<string, unknown>;
  children: ReadonlyArray<{ instrumentId: number; symbol: string; cacheKey: string; cached: CachedRun | null }>;
  now: Date;
}

/** Packed trades and equity curve (result-columns.ts). */
export interface StoredResult {
  tradeCount: number;
  tradeColumns: Buffer;
  equityColumns: Buffer;
}

/** The runs a write actually changed (the rest belonged to another attempt, or had ended). */
export interface Written {
  completed: Set<string>;
  ended: Set<string>;
}

/** A completion's parameters and their types (writeOutcomes binds one row of these per run). */
const COMPLETION_PARAM_TYPES = ['uuid', 'int4', 'int4', 'int4', 'jsonb', 'jsonb', 'timestamptz', 'timestamptz', 'int4'];

/** A uuid in its binary COPY form. */
const uuidBytes = (id: string) => Buffer.from(id.replaceAll('-', ''), 'hex');

/** The claim of a run: RUNNING, or CANCELLED at once when a cancel was requested while it waited. */
const CLAIM_SET = `
  status = (CASE WHEN cancel_requested_at IS NULL THEN 'RUNNING' ELSE 'CANCELLED' END)::backtest_status,
  started_at = coalesce(started_at, $2),
  finished_at = CASE WHEN cancel_requested_at IS NULL THEN NULL ELSE $2 END,
  attempts = attempts + 1,
  progress = 0, bars_processed = 0, error = NULL`;

export class BacktestsStore {
  constructor(private readonly db: Database) {}

  /**
   * Creates a batch and its children in one statement (children answered from the result
   * cache are COMPLETED, showing their source's figures, trades and curve by reference); a
   * batch whose children are all answered so starts RUNNING. Returns the batch's id. One
   * statement with the children as a JSON array: Prisma's createMany binds every column of
   * every row as a parameter, which costs ~0.8 ms a child on this path.
   */
  async insertBatch(batch: NewBatchRows): Promise<string> {
    const id = randomUUID();
    const completed = batch.children.filter((c) => c.cached).length;
    const allCached = completed === batch.children.length;
    const children = batch.children.map(({ instrumentId, symbol, cacheKey, cached }) => ({
      id: randomUUID(),
      instrumentId,
      symbol,
      cacheKey,
      ...(cached ? { sourceId: cached.sourceId, barsProcessed: cached.barsProcessed, totalBars: cached.totalBars, metrics: cached.metrics, assumptions: cached.assumptions } : {}),
    }));
    await this.db.pool.query(
      `/* insertBatch */
       WITH batch AS (
         INSERT INTO backtest_batch (id, owner, strategy_id, strategy_kind, parameters, symbols, interval, from_ts, to_ts, config, status, total, completed, queued_at, started_at)
         VALUES ($1, $2, $3, $14, $15::jsonb, $4::text[], $5, $6, $7, $8::jsonb, $9::backtest_status, $10, $11, $12, CASE WHEN $9 = 'RUNNING' THEN $12::timestamptz END)
       )
       INSERT INTO backtest (id, owner, strategy_id, strategy_kind, parameters, batch_id, instrument_id, symbol, interval, from_ts, to_ts, config, cache_key, queued_at,
                             status, from_cache, progress, bars_processed, total_bars, metrics, assumptions, result_source_id, started_at, finished_at, duration_ms)
       SELECT c."id", $2, $3, $14, $15::jsonb, $1, c."instrumentId", c.symbol, $5, $6, $7, $8::jsonb, c."cacheKey", $12,
              CASE WHEN cached THEN 'COMPLETED' ELSE 'QUEUED' END::backtest_status, cached, CASE WHEN cached THEN 1 ELSE 0 END,
              coalesce(c."barsProcessed", 0), coalesce(c."totalBars", 0), c.metrics, c.assumptions, c."sourceId",
              CASE WHEN cached THEN $12::timestamptz END, CASE WHEN cached THEN $12::timestamptz END, CASE WHEN cached THEN 0 END
       FROM json_to_recordset($13::json) AS c("id" uuid, "instrumentId" int, symbol text, "cacheKey" text, "sourceId" uuid,
                                             "barsProcessed" int, "totalBars" int, metrics jsonb, assumptions jsonb),
            LATERAL (SELECT c."sourceId" IS NOT NULL AS cached) k`,
      [
        id, batch.owner, batch.strategyId, batch.children.map((c) => c.symbol), batch.interval, batch.from, batch.to, JSON.stringify(batch.config),
        allCached ? 'RUNNING' : 'QUEUED', batch.children.length, completed, batch.now, JSON.stringify(children),
        batch.strategyKind, JSON.stringify(batch.parameters),
      ],
    );
    return id;
  }

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

  /** A batch while it runs (RUNNING); null once it has ended or when it is gone. */
  async findRunningBatch(id: string): Promise<BatchRow | null> {
    const { rows } = await this.db.pool.query<BatchRow>(`/* findRunningBatch */ SELECT ${BATCH_COLUMNS} FROM backtest_batch WHERE id = $1 AND status = 'RUNNING'`, [id]);
    return rows[0] ?? null;
  }

  /** Every child of a batch, by symbol, and whether it is still to run (QUEUED or RUNNING). */
  async listChildren(batchId: string): Promise<Array<{ id: string; unfinished: boolean }>> {
    const { rows } = await this.db.pool.query<{ id: string; unfinished: boolean }>(
      `/* listChildren */ SELECT id, status IN ('QUEUED', 'RUNNING') AS unfinished FROM backtest WHERE batch_id = $1 ORDER BY symbol, id`,
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
   * Writes the outcome of runs in the caller's transaction, set-based: one statement
   * completes the runs (metrics and assumptions as JSON), one binary COPY stores the packed
   * results of those it completed (trades and equity curves); then the runs that ended
   * without a result, in another statement.
   * Each write requires the run to be RUNNING in the attempt that produced the outcome.
   */
  async writeOutcomes(client: pg.PoolClient, results: readonly RunResult[], ends: readonly RunEnd[]): Promise<Written> {
    const completed = new Set<string>();
    if (results.length) {
      // The runs' completion in one statement (only runs still RUNNING in that attempt, an
      // earlier attempt's stored result removed), then their packed columns by binary COPY,
      // straight from the engine's buffers: bound as statement parameters they were copied
      // three times over into memory never touched before (see copyByteRowsInto).
      const params: unknown[] = [];
      const values = results.map((r) => {
        const at = params.length;
        params.push(r.id, r.attempts, r.barsProcessed, r.totalBars, JSON.stringify(r.metrics), JSON.stringify(r.assumptions), r.startedAt, r.finishedAt, r.durationMs);
        return `(${COMPLETION_PARAM_TYPES.map((type, k) => `$${at + k + 1}::${type}`).join(', ')})`;
      });
      const { rows } = await client.query<{ id: string }>(
        `/* writeOutcomes */
         WITH r (id, attempts, bars_processed, total_bars, metrics, assumptions, started_at, finished_at, duration_ms) AS (
           VALUES ${values.join(',\n                  ')}
         ), done AS (
           UPDATE backtest b SET status = 'COMPLETED', progress = 1, bars_processed = r.bars_processed, total_bars = r.total_bars,
                  metrics = r.metrics, assumptions = r.assumptions, started_at = r.started_at, finished_at = r.finished_at,
                  duration_ms = r.duration_ms, error = NULL
           FROM r
           WHERE b.id = r.id AND b.status = 'RUNNING' AND b.attempts = r.attempts
           RETURNING b.id
         ), stale AS (
           DELETE FROM backtest_result WHERE backtest_id IN (SELECT id FROM done)
         )
         SELECT id FROM done`,
        params,
      );
      for (const row of rows) completed.add(row.id);
      const written = results.filter((r) => completed.has(r.id));
      if (written.length) {
        await copyByteRowsInto(
          client,
          'backtest_result',
          ['backtest_id', 'trade_count', 'trade_columns', 'equity_columns'],
          written.map((r) => [uuidBytes(r.id), { int4: r.trades.count }, packTrades(r.trades), packEquity(r.equity)]),
        );
      }
    }
    const ended = ends.length ? await this.writeEnds(client, ends) : new Set<string>();
    return { completed, ended };
  }

  /**
   * Ends runs as FAILED or CANCELLED (one statement for any number), each only while it is
   * RUNNING in the attempt given. Returns the ids it ended.
   */
  async writeEnds(db: Queryable, ends: readonly RunEnd[]): Promise<Set<string>> {
    const { rows } = await db.query<{ id: string }>(
      `/* writeEnds */
       UPDATE backtest b SET status = r.status::backtest_status, error = r.error, bars_processed = r.bars_processed,
              finished_at = r.finished_at, duration_ms = r.duration_ms
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, attempts int, status text, error text, bars_processed int,
                                              finished_at timestamptz, duration_ms int)
       WHERE b.id = r.id AND b.status = 'RUNNING' AND b.attempts = r.attempts
       RETURNING b.id`,
      [
        JSON.stringify(
          ends.map((e) => ({
            id: e.id,
            attempts: e.attempts,
            status: e.status,
            error: e.error,
            bars_processed: e.barsProcessed,
            finished_at: e.finishedAt,
            duration_ms: e.durationMs,
          })),
        ),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Adds finished children to a RUNNING batch's counters; returns the counters after (null: the batch has ended). */
  async countChildren(db: Queryable, batchId: string, completed: number, failed: number): Promise<BatchCounters | null> {
    const { rows } = await db.query<BatchCounters>(
      `/* countChildren */
       UPDATE backtest_batch SET completed = completed + $2, failed = failed + $3 WHERE id = $1 AND status = 'RUNNING'
       RETURNING ${COUNTER_COLUMNS}`,
      [batchId, completed, failed],
    );
    return rows[0] ?? null;
  }

  /** Runs back to QUEUED for the queue's next attempt (after an infrastructure failure of theirs). */
  async requeue(runs: ReadonlyArray<Pick<RunRow, 'id' | 'attempts'>>): Promise<void> {
    await this.db.pool.query(
      `/* requeue */
       UPDATE backtest b SET status = 'QUEUED'
       FROM unnest($1::uuid[], $2::int[]) AS r(id, attempts)
       WHERE b.id = r.id AND b.status = 'RUNNING' AND b.attempts = r.attempts`,
      [runs.map((r) => r.id), runs.map((r) => r.attempts)],
    );
  }

  /** Ends the given runs still QUEUED or RUNNING as FAILED (a final failure); returns those it ended. */
  async failUnfinished(ids: readonly string[], error: string, now: Date): Promise<RunRow[]> {
    const { rows } = await this.db.pool.query<RunRow>(
      `/* failUnfinished */
       UPDATE backtest SET status = 'FAILED', error = $2, finished_at = $3
       WHERE id = ANY($1::uuid[]) AND status IN ('QUEUED', 'RUNNING')
       RETURNING ${RUN_COLUMNS}`,
      [ids, error, now],
    );
    return rows;
  }

  /**
   * The ranges most backtested over the last 30 days, of the `instruments` instruments run
   * most (up to three ranges each, with the strategy kind that read them): what a process
   * that runs backtests caches on start.
   */
  async listPopularRanges(instruments: number): Promise<Array<{ instrumentId: number; interval: string; from: Date; to: Date; kind: string }>> {
    const { rows } = await this.db.pool.query<{ instrumentId: number; interval: string; from: Date; to: Date; kind: string }>(
      `/* listPopularRanges */
       WITH usage AS (
         SELECT b.instrument_id, b.interval, b.from_ts, b.to_ts, s.kind, count(*) AS runs
         FROM backtest b JOIN strategy s ON s.id = b.strategy_id
         WHERE b.queued_at > now() - interval '30 days'
         GROUP BY b.instrument_id, b.interval, b.from_ts, b.to_ts, s.kind
       ), top AS (
         SELECT instrument_id FROM usage GROUP BY instrument_id ORDER BY sum(runs) DESC LIMIT $1
       ), ranked AS (
         SELECT u.*, row_number() OVER (PARTITION BY u.instrument_id ORDER BY u.runs DESC) AS rank
         FROM usage u JOIN top USING (instrument_id)
       )
       SELECT instrument_id AS "instrumentId", interval, from_ts AS "from", to_ts AS "to", kind FROM ranked WHERE rank <= 3
       ORDER BY runs DESC`,
      [instruments],
    );
    return rows;
  }

  /** Latest progress of a running backtest (best effort; dashboards get events, readers poll this). */
  async writeProgress(run: Pick<RunRow, 'id' | 'attempts'>, progress: number, barsProcessed: number, totalBars: number): Promise<void> {
    await this.db.pool.query(
      `/* writeProgress */
       UPDATE backtest SET progress = $3, bars_processed = $4, total_bars = $5 WHERE id = $1 AND status = 'RUNNING' AND attempts = $2`,
      [run.id, run.attempts, progress, barsProcessed, totalBars],
    );
  }

  /**
   * After a chunk of a batch: adds its candle-fetch time, and closes the batch when no child
   * is left to run — COMPLETED when at least one child completed, FAILED when none did (a
   * batch whose every child failed did not produce anything) — its counters and summary (average, best and worst total return of the
   * completed children) computed from the children as stored, in the same statement. Chunks
   * finishing at once serialise on the batch's row: the last one closes it, exactly once.
   * Returns the batch's counters when this call closed it, else null.
   */
  async finishChunk(id: string, data: { dataFetchMs: number; now: Date }): Promise<BatchCounters | null> {
    const { rows } = await this.db.pool.query<BatchCounters & { closed: boolean }>(
      `/* finishChunk */
       WITH child AS (
         SELECT symbol, status, (metrics ->> 'totalReturn')::float8 AS r FROM backtest WHERE batch_id = $1
       ), ranked AS (
         SELECT symbol, r, row_number() OVER (ORDER BY r DESC, symbol) AS best, row_number() OVER (ORDER BY r ASC, symbol) AS worst
         FROM child WHERE status = 'COMPLETED' AND r IS NOT NULL
       ), figures AS (
         SELECT (SELECT count(*) FROM child WHERE status IN ('QUEUED', 'RUNNING')) = 0 AS done,
                (SELECT count(*) FROM child WHERE status = 'COMPLETED')::int AS completed,
                (SELECT count(*) FROM child WHERE status IN ('FAILED', 'CANCELLED'))::int AS failed,
                jsonb_build_object(
                  'averageReturn', (SELECT avg(r) FROM ranked),
                  'best', (SELECT jsonb_build_object('symbol', symbol, 'totalReturn', r) FROM ranked WHERE best = 1),
                  'worst', (SELECT jsonb_build_object('symbol', symbol, 'totalReturn', r) FROM ranked WHERE worst = 1)
                ) AS summary
       )
       UPDATE backtest_batch b
       SET data_fetch_ms = coalesce(b.data_fetch_ms, 0) + $2,
           status = CASE WHEN NOT f.done THEN b.status
                         WHEN f.completed = 0 AND f.failed > 0 THEN 'FAILED'::backtest_status
                         ELSE 'COMPLETED'::backtest_status END,
           completed = CASE WHEN f.done THEN f.completed ELSE b.completed END,
           failed = CASE WHEN f.done THEN f.failed ELSE b.failed END,
           summary = CASE WHEN f.done THEN f.summary ELSE b.summary END,
           finished_at = CASE WHEN f.done THEN $3 ELSE b.finished_at END,
           duration_ms = CASE WHEN f.done THEN (extract(epoch FROM $3 - coalesce(b.started_at, b.queued_at)) * 1000)::int ELSE b.duration_ms END
       FROM figures f
       WHERE b.id = $1 AND b.status = 'RUNNING'
       RETURNING b.id, b.status, b.total, b.completed, b.failed, f.done AS closed`,
      [id, Math.round(data.dataFetchMs), data.now],
    );
    const row = rows[0];
    return row?.closed ? { id: row.id, status: row.status, total: row.total, completed: row.completed, failed: row.failed } : null;
  }

  /**
   * A new run answered from the result cache in one statement, when a run with its identity
   * key has COMPLETED: the identical run's figures, its trades and curve by reference
   * (result_source_id). Null when there is none (nothing is written then). The row comes back
   * in Prisma's shape (it answers runBacktest).
   */
  async createCachedRun(run: NewRunRow, now: Date): Promise<Backtest | null> {
    const { rows } = await this.db.pool.query<Backtest>(
      `/* createCachedRun */
       INSERT INTO backtest (id, owner, strategy_id, strategy_kind, parameters, instrument_id, symbol, interval, from_ts, to_ts, config, cache_key, status,
                             from_cache, progress, bars_processed, total_bars, metrics, assumptions, result_source_id, queued_at, started_at, finished_at, duration_ms)
       SELECT $1, $2, $3, $12, $13::jsonb, $4, $5, $6, $7, $8, $9::jsonb, $10, 'COMPLETED', true, 1,
              src.bars_processed, src.total_bars, src.metrics, src.assumptions, coalesce(src.result_source_id, src.id), $11, $11, $11, 0
       FROM (SELECT * FROM backtest WHERE cache_key = $10 AND status = 'COMPLETED' ORDER BY finished_at LIMIT 1) src
       RETURNING ${BACKTEST_COLUMNS}`,
      [
        randomUUID(), run.owner, run.strategyId, run.instrumentId, run.symbol, run.interval, run.from, run.to, JSON.stringify(run.config), run.cacheKey, now,
        run.strategyKind, JSON.stringify(run.parameters),
      ],
    );
    return rows[0] ?? null;
  }

  /**
   * The completed run of each identity (cache key) that has one — the earliest — with the
   * run whose trades and curve it shows: what the result cache answers identical runs with.
   */
  async findCompletedRuns(cacheKeys: readonly string[]): Promise<Map<string, CachedRun>> {
    const { rows } = await this.db.pool.query<CachedRun & { cacheKey: string }>(
      `/* findCompletedRuns */
       SELECT DISTINCT ON (cache_key) cache_key AS "cacheKey", coalesce(result_source_id, id) AS "sourceId",
              bars_processed AS "barsProcessed", total_bars AS "totalBars", metrics, assumptions
       FROM backtest WHERE cache_key = ANY($1::text[]) AND status = 'COMPLETED'
       ORDER BY cache_key, finished_at`,
      [cacheKeys],
    );
    return new Map(rows.map(({ cacheKey, ...run }) => [cacheKey, run]));
  }

  /** The packed trades and curves backtests show (their own, or their source's), in the order of `ids`. */
  async listResults(ids: readonly string[]): Promise<Array<StoredResult | null>> {
    const { rows } = await this.db.pool.query<StoredResult & { id: string }>(
      `/* listResults */
       SELECT b.id, r.trade_count AS "tradeCount", r.trade_columns AS "tradeColumns", r.equity_columns AS "equityColumns"
       FROM backtest b JOIN backtest_result r ON r.backtest_id = coalesce(b.result_source_id, b.id)
       WHERE b.id = ANY($1::uuid[])`,
      [ids],
    );
    const byId = new Map(rows.map(({ id, ...result }) => [id, result]));
    return ids.map((id) => byId.get(id) ?? null);
  }
}
