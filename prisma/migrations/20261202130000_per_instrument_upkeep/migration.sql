-- Market-data upkeep per instrument, so that a bulk load of many symbols costs each ingest
-- the same whatever was loaded before it (it was quadratic on TimescaleDB: every ingest
-- refreshed the continuous aggregates over its whole time window — every instrument in it —
-- and the market summary of all instruments).

-- 1. Freshness of candle_1h / candle_1d per instrument. aggregates_version is the data
--    version they reflect: equal to data_version = fresh, read them; behind = read the raw
--    bars instead (TimescaleDB materialises a window for every instrument in it, so an
--    ingest leaves them behind until the coalesced background refresh catches up). The
--    stale window is the union of what ingests touched since the last refresh. Portable
--    databases recompute them in the ingest's transaction: always fresh.
ALTER TABLE instrument
  ADD COLUMN aggregates_version BIGINT NOT NULL DEFAULT 1,
  ADD COLUMN aggregates_stale_from TIMESTAMPTZ,
  ADD COLUMN aggregates_stale_to TIMESTAMPTZ,
  ADD COLUMN aggregates_refreshed_at TIMESTAMPTZ;
-- Until now every ingest refreshed them before returning.
UPDATE instrument SET aggregates_version = data_version, aggregates_refreshed_at = updated_at;
CREATE INDEX instrument_aggregates_behind_idx ON instrument (id) WHERE aggregates_version <> data_version;

-- 2. Per-block extremes, so an instrument's all-time range is read from its few hundred
--    blocks instead of every bar.
ALTER TABLE candle_block ADD COLUMN high_max float8, ADD COLUMN low_min float8;

CREATE OR REPLACE FUNCTION rebuild_candle_blocks(p_instrument_id integer, p_from_ms float8, p_to_ms float8) RETURNS integer
LANGUAGE sql AS $$
  WITH span AS (
    SELECT candle_block_span_ms(base_interval) AS ms FROM instrument WHERE id = p_instrument_id
  ), bounds AS (
    SELECT floor(p_from_ms / ms) * ms AS lo, (floor(p_to_ms / ms) + 1) * ms AS hi, ms FROM span
  ), bars AS (
    SELECT c.ts, c.open, c.high, c.low, c.close, c.volume, (extract(epoch FROM c.ts) * 1000)::float8 AS t,
           floor((extract(epoch FROM c.ts) * 1000)::float8 / b.ms) * b.ms AS block_ms
    FROM candle c, bounds b
    WHERE c.instrument_id = p_instrument_id AND c.ts >= to_timestamp(b.lo / 1000.0) AND c.ts < to_timestamp(b.hi / 1000.0)
  ), written AS (
    INSERT INTO candle_block AS k (instrument_id, block_start, bar_count, first_ts, last_ts, high_max, low_min, columns)
    SELECT p_instrument_id, to_timestamp(block_ms / 1000.0), count(*)::int, min(ts), max(ts), max(high), min(low),
           string_agg(float8send(t), ''::bytea ORDER BY ts) || string_agg(float8send(open), ''::bytea ORDER BY ts)
           || string_agg(float8send(high), ''::bytea ORDER BY ts) || string_agg(float8send(low), ''::bytea ORDER BY ts)
           || string_agg(float8send(close), ''::bytea ORDER BY ts) || string_agg(float8send(volume), ''::bytea ORDER BY ts)
    FROM bars
    GROUP BY block_ms
    ON CONFLICT (instrument_id, block_start) DO UPDATE
      SET bar_count = EXCLUDED.bar_count, first_ts = EXCLUDED.first_ts, last_ts = EXCLUDED.last_ts,
          high_max = EXCLUDED.high_max, low_min = EXCLUDED.low_min, columns = EXCLUDED.columns
    RETURNING 1
  )
  SELECT count(*)::int FROM written
$$;

UPDATE candle_block k SET high_max = x.high_max, low_min = x.low_min
FROM (
  SELECT k2.instrument_id, k2.block_start, max(c.high) AS high_max, min(c.low) AS low_min
  FROM candle_block k2
  JOIN candle c ON c.instrument_id = k2.instrument_id AND c.ts >= k2.first_ts AND c.ts <= k2.last_ts
  GROUP BY k2.instrument_id, k2.block_start
) x
WHERE k.instrument_id = x.instrument_id AND k.block_start = x.block_start;
-- Blocks left without any candle (DATABASE_RETENTION dropped their chunks) describe nothing
-- stored any more: removed rather than left without extremes.
DELETE FROM candle_block WHERE high_max IS NULL;
ALTER TABLE candle_block ALTER COLUMN high_max SET NOT NULL, ALTER COLUMN low_min SET NOT NULL;

-- 3. The market summary becomes a table kept per instrument: the ingest's transaction
--    recomputes the rows of the instrument it wrote (readers never see the summary disagree
--    with the candles), instead of a refresh of the view over every instrument.
DROP MATERIALIZED VIEW market_summary;
CREATE TABLE market_summary (
  instrument_id INTEGER PRIMARY KEY REFERENCES instrument(id) ON DELETE CASCADE,
  as_of TIMESTAMPTZ NOT NULL,
  last_price DOUBLE PRECISION NOT NULL,
  change_24h DOUBLE PRECISION,
  change_7d DOUBLE PRECISION,
  change_30d DOUBLE PRECISION,
  high_24h DOUBLE PRECISION,
  low_24h DOUBLE PRECISION,
  volume_24h DOUBLE PRECISION,
  all_time_high DOUBLE PRECISION,
  all_time_low DOUBLE PRECISION,
  candle_count BIGINT NOT NULL,
  first_ts TIMESTAMPTZ NOT NULL
);
CREATE INDEX market_summary_change_24h_idx ON market_summary (change_24h);

-- Recomputes the summary rows of the given instruments (removing those left without
-- candles). Every lookup is an index probe on candle's primary key or a read of the
-- instrument's blocks: milliseconds per instrument, whatever its history.
CREATE FUNCTION refresh_market_summary(p_instrument_ids integer[]) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM market_summary WHERE instrument_id = ANY(p_instrument_ids);
  INSERT INTO market_summary
  SELECT i.id, l.ts, l.close,
         CASE WHEN p24.close > 0 THEN l.close / p24.close - 1 END,
         CASE WHEN p7.close > 0 THEN l.close / p7.close - 1 END,
         CASE WHEN p30.close > 0 THEN l.close / p30.close - 1 END,
         w.high_24h, w.low_24h, w.volume_24h,
         a.all_time_high, a.all_time_low, a.candle_count, a.first_ts
  FROM instrument i
  JOIN LATERAL (SELECT ts, close FROM candle c WHERE c.instrument_id = i.id ORDER BY ts DESC LIMIT 1) l ON true
  LEFT JOIN LATERAL (SELECT close FROM candle c WHERE c.instrument_id = i.id AND c.ts <= l.ts - INTERVAL '24 hours' ORDER BY ts DESC LIMIT 1) p24 ON true
  LEFT JOIN LATERAL (SELECT close FROM candle c WHERE c.instrument_id = i.id AND c.ts <= l.ts - INTERVAL '7 days' ORDER BY ts DESC LIMIT 1) p7 ON true
  LEFT JOIN LATERAL (SELECT close FROM candle c WHERE c.instrument_id = i.id AND c.ts <= l.ts - INTERVAL '30 days' ORDER BY ts DESC LIMIT 1) p30 ON true
  JOIN LATERAL (
    SELECT max(high) AS high_24h, min(low) AS low_24h, sum(volume) AS volume_24h
    FROM candle c WHERE c.instrument_id = i.id AND c.ts > l.ts - INTERVAL '24 hours'
  ) w ON true
  JOIN LATERAL (
    SELECT max(high_max) AS all_time_high, min(low_min) AS all_time_low, sum(bar_count)::bigint AS candle_count, min(first_ts) AS first_ts
    FROM candle_block k WHERE k.instrument_id = i.id
  ) a ON true
  WHERE i.id = ANY(p_instrument_ids);
$$;

SELECT refresh_market_summary(coalesce(array_agg(id), '{}')) FROM instrument;
