-- TimescaleDB: 28-day candle chunks instead of 7 (new chunks; existing ones keep their size).
-- Measured (bench/ingest-many.bench.ts setup, 44,000 hourly bars per ingest, TimescaleDB
-- 2.28 on PostgreSQL 15, 2 cores): an ingest spanning five years touched 262 chunks at 7
-- days — 448 ms against 284 ms on the portable dialect, planning over every chunk in the
-- block rebuild and the summary's lookups — and 66 at 28 days: 320 ms; 91 days gave
-- 300 ms. 28 days keeps minute data in chunks that fit memory: 40,320 bars per symbol, so
-- 200 symbols ≈ 8 M rows ≈ 0.9 GB with the index, under a quarter of these 24 GiB
-- machines (TimescaleDB's guidance), and a 10-year daily import creates 131 chunks, not 522.
-- (Nested IFs: PL/pgSQL plans a condition only when it reaches it, and the catalog views
-- and function exist only with the extension.)
DO $chunks$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    IF EXISTS (SELECT 1 FROM timescaledb_information.hypertables
               WHERE hypertable_schema = current_schema() AND hypertable_name = 'candle') THEN
      PERFORM set_chunk_time_interval('candle', INTERVAL '28 days');
    END IF;
  END IF;
END
$chunks$;
