-- A backtest's trades and equity curve as packed columns, one row per finished backtest,
-- written with the rest of its result in one set-based statement per group of finished
-- runs (a batch of 211 symbols made ~180,000 trade rows, each with a primary-key entry and
-- a foreign-key check). Layout, big-endian float8 (as float8send writes them), column after
-- column:
--   trade_columns:  entry time (epoch ms), entry price, exit time (epoch ms), exit price,
--                   quantity, pnl, return (fraction), fees, bars held, side (+1 long, −1 short);
--   equity_columns: time (epoch ms), equity, drawdown — the stored (downsampled) curve.
CREATE TABLE "backtest_result" (
  "backtest_id" UUID PRIMARY KEY REFERENCES "backtest"("id") ON DELETE CASCADE,
  "trade_count" INTEGER NOT NULL,
  "trade_columns" BYTEA NOT NULL,
  "equity_columns" BYTEA NOT NULL
);
-- A run answered from the result cache (an identical run on the same data) shows the
-- result of the run it is identical to, instead of a copy of it.
ALTER TABLE "backtest" ADD COLUMN "result_source_id" UUID REFERENCES "backtest"("id") ON DELETE SET NULL;

-- Out of line and uncompressed: prices do not compress, and every read would pay pglz.
ALTER TABLE "backtest_result" ALTER COLUMN "trade_columns" SET STORAGE EXTERNAL;
ALTER TABLE "backtest_result" ALTER COLUMN "equity_columns" SET STORAGE EXTERNAL;

-- Existing results, converted.
INSERT INTO "backtest_result" (backtest_id, trade_count, trade_columns, equity_columns)
SELECT b.id, coalesce(t.n, 0), coalesce(t.columns, ''::bytea), coalesce(e.columns, ''::bytea)
FROM "backtest" b
LEFT JOIN (
  SELECT backtest_id, count(*)::int AS n,
         string_agg(float8send((extract(epoch FROM entry_time) * 1000)::float8), ''::bytea ORDER BY seq)
         || string_agg(float8send(entry_price), ''::bytea ORDER BY seq)
         || string_agg(float8send((extract(epoch FROM exit_time) * 1000)::float8), ''::bytea ORDER BY seq)
         || string_agg(float8send(exit_price), ''::bytea ORDER BY seq)
         || string_agg(float8send(quantity), ''::bytea ORDER BY seq)
         || string_agg(float8send(pnl), ''::bytea ORDER BY seq)
         || string_agg(float8send(return_pct), ''::bytea ORDER BY seq)
         || string_agg(float8send(fees), ''::bytea ORDER BY seq)
         || string_agg(float8send(bars_held::float8), ''::bytea ORDER BY seq)
         || string_agg(float8send(CASE side WHEN 'LONG' THEN 1 ELSE -1 END::float8), ''::bytea ORDER BY seq) AS columns
  FROM "trade" GROUP BY backtest_id
) t ON t.backtest_id = b.id
LEFT JOIN LATERAL (
  SELECT string_agg(float8send(v.x::float8), ''::bytea ORDER BY k.i, v.o) AS columns
  FROM (VALUES (1, 'time'), (2, 'equity'), (3, 'drawdown')) AS k(i, name),
       jsonb_array_elements_text(b.equity_curve -> k.name) WITH ORDINALITY AS v(x, o)
) e ON true
WHERE b.status = 'COMPLETED';

ALTER TABLE "backtest" DROP COLUMN "equity_curve";
DROP TABLE "trade";
