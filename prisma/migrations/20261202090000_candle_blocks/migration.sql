-- Columnar candle blocks: the read path of backtests (DESIGN.md §6). A block holds up to
-- 2,048 consecutive bars of one instrument as six packed float8 columns (big-endian, as
-- float8send writes them), one after another: time (epoch ms), open, high, low, close,
-- volume. Blocks are aligned on multiples of 2,048 base-interval bars since the Unix epoch,
-- rebuilt from `candle` (the source of truth) in every ingest's transaction, on both
-- dialects, and read with one statement per chunk of instruments: a backtest batch reads a
-- few thousand rows instead of millions.

-- Width of a block of an instrument stored at `base_interval`, in ms. The one definition:
-- ingest and this backfill both align blocks with it.
CREATE FUNCTION candle_block_span_ms(base_interval text) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 2048 * CASE base_interval
    WHEN '1m' THEN 60000 WHEN '3m' THEN 180000 WHEN '5m' THEN 300000 WHEN '15m' THEN 900000
    WHEN '30m' THEN 1800000 WHEN '1h' THEN 3600000 WHEN '2h' THEN 7200000 WHEN '4h' THEN 14400000
    WHEN '6h' THEN 21600000 WHEN '12h' THEN 43200000 WHEN '1d' THEN 86400000 WHEN '3d' THEN 259200000
    WHEN '1w' THEN 604800000 END::float8
$$;

CREATE TABLE candle_block (
  instrument_id INTEGER NOT NULL REFERENCES instrument(id) ON DELETE CASCADE,
  -- Start of the block's span (aligned), not of its first bar.
  block_start TIMESTAMPTZ NOT NULL,
  bar_count INTEGER NOT NULL,
  first_ts TIMESTAMPTZ NOT NULL,
  last_ts TIMESTAMPTZ NOT NULL,
  columns BYTEA NOT NULL,
  PRIMARY KEY (instrument_id, block_start)
);

-- Stored out of line and uncompressed: random-walk prices do not compress, and pglz would
-- only add CPU to every read.
ALTER TABLE candle_block ALTER COLUMN columns SET STORAGE EXTERNAL;

-- Rebuilds the blocks of one instrument that overlap [from_ms, to_ms] from `candle`, the
-- source of truth; returns how many it wrote. Ingest calls it in its transaction after
-- writing candles (src/modules/market-data/candle.store.ts); so does anything that writes
-- candles another way (a bulk load in SQL, the backfill below).
CREATE FUNCTION rebuild_candle_blocks(p_instrument_id integer, p_from_ms float8, p_to_ms float8) RETURNS integer
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
    INSERT INTO candle_block AS k (instrument_id, block_start, bar_count, first_ts, last_ts, columns)
    SELECT p_instrument_id, to_timestamp(block_ms / 1000.0), count(*)::int, min(ts), max(ts),
           string_agg(float8send(t), ''::bytea ORDER BY ts) || string_agg(float8send(open), ''::bytea ORDER BY ts)
           || string_agg(float8send(high), ''::bytea ORDER BY ts) || string_agg(float8send(low), ''::bytea ORDER BY ts)
           || string_agg(float8send(close), ''::bytea ORDER BY ts) || string_agg(float8send(volume), ''::bytea ORDER BY ts)
    FROM bars
    GROUP BY block_ms
    ON CONFLICT (instrument_id, block_start) DO UPDATE
      SET bar_count = EXCLUDED.bar_count, first_ts = EXCLUDED.first_ts, last_ts = EXCLUDED.last_ts, columns = EXCLUDED.columns
    RETURNING 1
  )
  SELECT count(*)::int FROM written
$$;

-- Backfill from the candles already stored.
SELECT rebuild_candle_blocks(i.id, (extract(epoch FROM r.first_ts) * 1000)::float8, (extract(epoch FROM r.last_ts) * 1000)::float8)
FROM instrument i
CROSS JOIN LATERAL (SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM candle c WHERE c.instrument_id = i.id) r
WHERE r.first_ts IS NOT NULL;
