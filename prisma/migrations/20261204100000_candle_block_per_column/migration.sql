-- Candle blocks stored one column per row: a block of up to 960 bars is six rows (time,
-- open, high, low, close, volume), each a 7.7 KB packed float8 column in one heap page.
-- Why: a backtest reads two or three of the six columns (the SMA crossover: open and close;
-- time only for a block with gaps), and a row holding all six made PostgreSQL read every
-- page of all six. Per column, a chunk of 53 instruments of the reference set reads 5,057
-- pages instead of 14,763 (docs/performance.md) — the blocks' pages come from the OS page
-- cache one `pread` at a time on a cold read, so that is the cold read's PostgreSQL cost.
-- A block whose bars are exactly one base interval apart has no time row: bar i is at
-- first_ts + i·interval. Every row carries its block's description (bar count, first and
-- last time, extremes), so any one column describes the block.

-- Width of an instrument's base interval, in ms (the one definition; blocks are aligned
-- on multiples of candle_block_span_ms).
CREATE FUNCTION candle_interval_ms(base_interval text) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE base_interval
    WHEN '1m' THEN 60000 WHEN '3m' THEN 180000 WHEN '5m' THEN 300000 WHEN '15m' THEN 900000
    WHEN '30m' THEN 1800000 WHEN '1h' THEN 3600000 WHEN '2h' THEN 7200000 WHEN '4h' THEN 14400000
    WHEN '6h' THEN 21600000 WHEN '12h' THEN 43200000 WHEN '1d' THEN 86400000 WHEN '3d' THEN 259200000
    WHEN '1w' THEN 604800000 END::float8
$$;

-- 960 × 8 bytes + the row's header fit the 8,160 bytes of a heap tuple.
CREATE OR REPLACE FUNCTION candle_block_span_ms(base_interval text) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 960 * candle_interval_ms(base_interval)
$$;

DROP TABLE candle_block;
CREATE TABLE candle_block (
  instrument_id INTEGER NOT NULL REFERENCES instrument(id) ON DELETE CASCADE,
  -- 0 time (epoch ms), 1 open, 2 high, 3 low, 4 close, 5 volume.
  field SMALLINT NOT NULL CHECK (field BETWEEN 0 AND 5),
  -- Start of the block's span (aligned), not of its first bar.
  block_start TIMESTAMPTZ NOT NULL,
  -- Bars are on the base interval's grid (ingest checks it), so a block holds at most 960;
  -- more would not fit a heap tuple.
  bar_count INTEGER NOT NULL CHECK (bar_count BETWEEN 1 AND 960),
  first_ts TIMESTAMPTZ NOT NULL,
  last_ts TIMESTAMPTZ NOT NULL,
  high_max DOUBLE PRECISION NOT NULL,
  low_min DOUBLE PRECISION NOT NULL,
  -- bar_count big-endian float8 values (as float8send writes them), in time order.
  bytes BYTEA NOT NULL,
  -- (instrument, column) first: a read of some columns of some instruments is one index
  -- range per pair, in time order.
  PRIMARY KEY (instrument_id, field, block_start)
);
-- In the heap page, uncompressed: out of line, a value is read in 2 KB TOAST chunks, each
-- its own index probe; random-walk prices do not compress.
ALTER TABLE candle_block ALTER COLUMN bytes SET STORAGE PLAIN;

-- Rebuilds the blocks of one instrument that overlap [from_ms, to_ms] from `candle`, the
-- source of truth: removes them, then writes those that still have bars. Returns how many
-- blocks it wrote. Ingest calls it in its transaction after writing candles
-- (src/modules/market-data/candle.store.ts); so does anything that writes candles another
-- way (a bulk load in SQL, the backfill below).
CREATE OR REPLACE FUNCTION rebuild_candle_blocks(p_instrument_id integer, p_from_ms float8, p_to_ms float8) RETURNS integer
LANGUAGE sql AS $$
  DELETE FROM candle_block k
  USING (SELECT candle_block_span_ms(base_interval) AS ms FROM instrument WHERE id = p_instrument_id) s
  WHERE k.instrument_id = p_instrument_id
    AND k.block_start >= to_timestamp(floor(p_from_ms / s.ms) * s.ms / 1000.0)
    AND k.block_start < to_timestamp((floor(p_to_ms / s.ms) + 1) * s.ms / 1000.0);
  WITH span AS (
    SELECT candle_block_span_ms(base_interval) AS ms, candle_interval_ms(base_interval) AS step FROM instrument WHERE id = p_instrument_id
  ), bounds AS (
    SELECT floor(p_from_ms / ms) * ms AS lo, (floor(p_to_ms / ms) + 1) * ms AS hi, ms, step FROM span
  ), bars AS (
    SELECT c.ts, c.open, c.high, c.low, c.close, c.volume, (extract(epoch FROM c.ts) * 1000)::float8 AS t,
           floor((extract(epoch FROM c.ts) * 1000)::float8 / b.ms) * b.ms AS block_ms, b.step
    FROM candle c, bounds b
    WHERE c.instrument_id = p_instrument_id AND c.ts >= to_timestamp(b.lo / 1000.0) AND c.ts < to_timestamp(b.hi / 1000.0)
  ), blocks AS (
    SELECT block_ms, count(*)::int AS n, min(ts) AS first_ts, max(ts) AS last_ts, max(high) AS high_max, min(low) AS low_min,
           bool_and(mod((t - block_ms)::bigint, step::bigint) = 0) AS on_grid,
           string_agg(float8send(t), ''::bytea ORDER BY ts) AS c0, string_agg(float8send(open), ''::bytea ORDER BY ts) AS c1,
           string_agg(float8send(high), ''::bytea ORDER BY ts) AS c2, string_agg(float8send(low), ''::bytea ORDER BY ts) AS c3,
           string_agg(float8send(close), ''::bytea ORDER BY ts) AS c4, string_agg(float8send(volume), ''::bytea ORDER BY ts) AS c5
    FROM bars
    GROUP BY block_ms
  ), written AS (
    INSERT INTO candle_block (instrument_id, field, block_start, bar_count, first_ts, last_ts, high_max, low_min, bytes)
    SELECT p_instrument_id, f.field, to_timestamp(k.block_ms / 1000.0), k.n, k.first_ts, k.last_ts, k.high_max, k.low_min, f.bytes
    FROM blocks k
    CROSS JOIN bounds b
    CROSS JOIN LATERAL (VALUES (0::smallint, k.c0), (1::smallint, k.c1), (2::smallint, k.c2), (3::smallint, k.c3), (4::smallint, k.c4), (5::smallint, k.c5)) f(field, bytes)
    -- The time row only for a block with gaps (or, loaded some other way, off the grid).
    WHERE f.field <> 0 OR NOT (k.on_grid AND extract(epoch FROM k.last_ts - k.first_ts) * 1000 = (k.n - 1) * b.step)
    RETURNING field
  )
  SELECT count(*)::int FROM written WHERE field = 1
$$;

-- The all-time figures of the summary read one column's rows (open: every block has it).
CREATE OR REPLACE FUNCTION refresh_market_summary(p_instrument_ids integer[]) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM market_summary WHERE instrument_id = ANY(p_instrument_ids);
  INSERT INTO market_summary (instrument_id, as_of, last_price, change_24h, change_7d, change_30d,
                              high_24h, low_24h, volume_24h, all_time_high, all_time_low, candle_count, first_ts, sparkline)
  SELECT i.id, l.ts, l.close,
         CASE WHEN p24.close > 0 THEN l.close / p24.close - 1 END,
         CASE WHEN p7.close > 0 THEN l.close / p7.close - 1 END,
         CASE WHEN p30.close > 0 THEN l.close / p30.close - 1 END,
         w.high_24h, w.low_24h, w.volume_24h,
         a.all_time_high, a.all_time_low, a.candle_count, a.first_ts,
         sp.closes
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
    FROM candle_block k WHERE k.instrument_id = i.id AND k.field = 1
  ) a ON true
  JOIN LATERAL (
    SELECT array_agg(s.close ORDER BY s.slot) AS closes
    FROM (
      SELECT DISTINCT ON (slot) date_bin(INTERVAL '6 hours', c.ts, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS slot, c.close
      FROM candle c WHERE c.instrument_id = i.id AND c.ts > l.ts - INTERVAL '7 days'
      ORDER BY slot, c.ts DESC
    ) s
  ) sp ON true
  WHERE i.id = ANY(p_instrument_ids);
$$;

-- Rebuilt from the candles already stored.
SELECT rebuild_candle_blocks(i.id, (extract(epoch FROM r.first_ts) * 1000)::float8, (extract(epoch FROM r.last_ts) * 1000)::float8)
FROM instrument i
CROSS JOIN LATERAL (SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM candle c WHERE c.instrument_id = i.id) r
WHERE r.first_ts IS NOT NULL;
