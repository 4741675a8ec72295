-- Runs and batches record the strategy kind and parameters they run with (issue 13, finding
-- 5): a strategy can change after a run was submitted, and the run's metrics belong to the
-- parameters it ran with, not to the strategy's current ones. Workers run what the row says.
--
-- Rows from before this migration get their strategy's parameters as they are now — the
-- best record there is (a strategy changed since then cannot be told apart).
ALTER TABLE backtest ADD COLUMN strategy_kind text, ADD COLUMN parameters jsonb;
ALTER TABLE backtest_batch ADD COLUMN strategy_kind text, ADD COLUMN parameters jsonb;

UPDATE backtest b SET strategy_kind = s.kind, parameters = s.parameters FROM strategy s WHERE s.id = b.strategy_id;
UPDATE backtest_batch b SET strategy_kind = s.kind, parameters = s.parameters FROM strategy s WHERE s.id = b.strategy_id;

ALTER TABLE backtest ALTER COLUMN strategy_kind SET NOT NULL, ALTER COLUMN parameters SET NOT NULL;
ALTER TABLE backtest_batch ALTER COLUMN strategy_kind SET NOT NULL, ALTER COLUMN parameters SET NOT NULL;
