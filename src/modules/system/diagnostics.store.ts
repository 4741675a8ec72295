import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'>;

export interface IndexUsage {
  table: string;
  index: string;
  scans: number;
  sizeBytes: number;
}

export interface TableScans {
  table: string;
  sequentialScans: number;
  rowsReadSequentially: number;
  indexScans: number;
  liveRows: number;
}

export interface HypertableInfo {
  name: string;
  chunks: number;
  compressedChunks: number;
  bytesBeforeCompression: number | null;
  bytesAfterCompression: number | null;
}

export interface AggregateFreshness {
  instruments: number;
  behind: number;
  oldestPendingSince: Date | null;
}

/**
 * Indexes of quantql's tables never used since statistics were reset, biggest first
 * (primary keys and unique constraints excluded: they enforce, not just speed up).
 */
export async function findUnusedIndexes(db: Queryable): Promise<IndexUsage[]> {
  const { rows } = await db.query<IndexUsage>(
    `/* findUnusedIndexes */
     SELECT s.relname AS "table", s.indexrelname AS "index", s.idx_scan::float8 AS scans, pg_relation_size(s.indexrelid)::float8 AS "sizeBytes"
     FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
     WHERE s.schemaname = 'public' AND s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
     ORDER BY pg_relation_size(s.indexrelid) DESC, s.indexrelname
     LIMIT 50`,
  );
  return rows;
}

/** Tables read mostly by sequential scans (more rows read that way than their size × 10), worst first. */
export async function findSequentialScanTables(db: Queryable): Promise<TableScans[]> {
  const { rows } = await db.query<TableScans>(
    `/* findSequentialScanTables */
     SELECT relname AS "table", seq_scan::float8 AS "sequentialScans", seq_tup_read::float8 AS "rowsReadSequentially",
            coalesce(idx_scan, 0)::float8 AS "indexScans", n_live_tup::float8 AS "liveRows"
     FROM pg_stat_user_tables
     WHERE schemaname = 'public' AND seq_scan > 0 AND seq_tup_read > greatest(n_live_tup, 1000) * 10
     ORDER BY seq_tup_read DESC
     LIMIT 50`,
  );
  return rows;
}

/** TimescaleDB only: each hypertable's chunks, how many are compressed and the bytes before and after. */
export async function findHypertables(db: Queryable): Promise<HypertableInfo[]> {
  const { rows } = await db.query<HypertableInfo>(
    `/* findHypertables */
     SELECT h.hypertable_name AS name, h.num_chunks::float8 AS chunks,
            coalesce(c.number_compressed_chunks, 0)::float8 AS "compressedChunks",
            c.before_compression_total_bytes::float8 AS "bytesBeforeCompression",
            c.after_compression_total_bytes::float8 AS "bytesAfterCompression"
     FROM timescaledb_information.hypertables h
     LEFT JOIN LATERAL hypertable_compression_stats(format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass) c ON true
     WHERE h.hypertable_schema = 'public'
     ORDER BY h.hypertable_name`,
  );
  return rows;
}

/** Instruments whose hourly/daily aggregates are behind their data (refreshed in the background). */
export async function findAggregateFreshness(db: Queryable): Promise<AggregateFreshness> {
  const { rows } = await db.query<AggregateFreshness>(
    `/* findAggregateFreshness */
     SELECT count(*)::int AS instruments,
            (count(*) FILTER (WHERE aggregates_version <> data_version))::int AS behind,
            min(updated_at) FILTER (WHERE aggregates_version <> data_version) AS "oldestPendingSince"
     FROM instrument`,
  );
  return rows[0]!;
}
