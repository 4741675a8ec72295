-- 1. A sparkline in the market summary (issue 11: the dashboard's instrument list): the last
--    close of each 6-hour UTC slot (00, 06, 12, 18) in the 7 days up to the latest candle,
--    oldest first; slots without data are skipped, so its last point is the last price.
--    Computed with the rest of the row in the ingest's transaction — reading it costs a
--    column, not a scan of candles per instrument on every dashboard load. The window is
--    7 days of raw bars: 10,080 rows at 1m, 168 at 1h, an index range read either way.
ALTER TABLE market_summary ADD COLUMN sparkline float8[] NOT NULL DEFAULT '{}';

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
    FROM candle_block k WHERE k.instrument_id = i.id
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

SELECT refresh_market_summary(coalesce(array_agg(id), '{}')) FROM instrument;

-- 2. The caller's batches by status, newest first (backtestBatches(filter: {status})), as
--    backtest_owner_status_queued_at_idx serves backtests.
CREATE INDEX backtest_batch_owner_status_queued_at_idx ON backtest_batch (owner, status, queued_at);
