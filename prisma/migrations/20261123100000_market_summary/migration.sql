-- Market data access paths: instrument prefix search and the dashboard summary.

-- instruments(search:) matches a prefix of the symbol (upper-case) or of the lower-cased name.
CREATE INDEX "instrument_symbol_prefix_idx" ON "instrument" ("symbol" text_pattern_ops);
CREATE INDEX "instrument_name_prefix_idx" ON "instrument" (lower("name") text_pattern_ops);

-- One row per instrument with candles: last price and its changes over 24 h / 7 d / 30 d
-- (against the last close at or before that far back), the last 24 h's range and volume,
-- all-time range and candle count. Refreshed (CONCURRENTLY) after every ingest. Every
-- lookup is an index probe on candle's primary key or a read of candle_1d, so a refresh
-- costs a few milliseconds per instrument, independent of history length.
CREATE MATERIALIZED VIEW market_summary AS
SELECT i.id AS instrument_id,
       l.ts AS as_of,
       l.close AS last_price,
       CASE WHEN p24.close > 0 THEN l.close / p24.close - 1 END AS change_24h,
       CASE WHEN p7.close > 0 THEN l.close / p7.close - 1 END AS change_7d,
       CASE WHEN p30.close > 0 THEN l.close / p30.close - 1 END AS change_30d,
       w.high_24h,
       w.low_24h,
       w.volume_24h,
       a.all_time_high,
       a.all_time_low,
       a.candle_count,
       f.first_ts
FROM instrument i
JOIN LATERAL (SELECT ts, close FROM candle c WHERE c.instrument_id = i.id ORDER BY ts DESC LIMIT 1) l ON true
JOIN LATERAL (SELECT ts AS first_ts FROM candle c WHERE c.instrument_id = i.id ORDER BY ts ASC LIMIT 1) f ON true
LEFT JOIN LATERAL (SELECT close FROM candle c WHERE c.instrument_id = i.id AND c.ts <= l.ts - INTERVAL '24 hours' ORDER BY ts DESC LIMIT 1) p24 ON true
LEFT JOIN LATERAL (SELECT close FROM candle c WHERE c.instrument_id = i.id AND c.ts <= l.ts - INTERVAL '7 days' ORDER BY ts DESC LIMIT 1) p7 ON true
LEFT JOIN LATERAL (SELECT close FROM candle c WHERE c.instrument_id = i.id AND c.ts <= l.ts - INTERVAL '30 days' ORDER BY ts DESC LIMIT 1) p30 ON true
JOIN LATERAL (
  SELECT max(high) AS high_24h, min(low) AS low_24h, sum(volume) AS volume_24h
  FROM candle c WHERE c.instrument_id = i.id AND c.ts > l.ts - INTERVAL '24 hours'
) w ON true
JOIN LATERAL (
  SELECT max(high) AS all_time_high, min(low) AS all_time_low, sum(bar_count)::bigint AS candle_count
  FROM candle_1d d WHERE d.instrument_id = i.id
) a ON true;

CREATE UNIQUE INDEX market_summary_instrument_idx ON market_summary (instrument_id);
CREATE INDEX market_summary_change_24h_idx ON market_summary (change_24h);
