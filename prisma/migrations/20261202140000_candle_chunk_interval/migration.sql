-- TimescaleDB: 91-day candle chunks instead of 7 (new chunks; existing ones keep their size).
-- Measured (TimescaleDB 2.28 on PostgreSQL 15, 2 cores; bench/ingest-many.bench.ts):
--  * an ingest of five years of hourly bars touched 262 chunks at 7 days: 448 ms against
--    284 ms on the portable dialect (planning over every chunk in the blocks' rebuild and
--    the summary's lookups); 320 ms at 28 days; 300 ms at 91 days;
--  * a 10-year daily import into an empty table created 522 chunks at 7 days (2.3 s), 131 at
--    28 days (0.74–1.0 s, chunk creation and planning over them), 41 at 91 days: 0.32 s.
-- Minute data still fits memory at 91 days: 131,040 bars per symbol and chunk, so 200 symbols
-- ≈ 26 M rows ≈ 2.9 GB with the index — under a quarter of these 24 GiB machines
-- (TimescaleDB's guidance for a chunk and its indexes). The compression policy (30 days)
-- compresses a chunk once all of it is older, so the newest 30–121 days stay uncompressed.
-- (Nested IFs: PL/pgSQL plans a condition only when it reaches it, and the catalog views
-- and function exist only with the extension.)
DO $chunks$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    IF EXISTS (SELECT 1 FROM timescaledb_information.hypertables
               WHERE hypertable_schema = current_schema() AND hypertable_name = 'candle') THEN
      PERFORM set_chunk_time_interval('candle', INTERVAL '91 days');
    END IF;
  END IF;
END
$chunks$;
