-- Backtest execution: the assumptions a finished run used, cancellation requests that
-- survive a worker restart, and attempt counting for retried jobs.
ALTER TABLE "backtest" ADD COLUMN "assumptions" JSONB;
ALTER TABLE "backtest" ADD COLUMN "cancel_requested_at" TIMESTAMPTZ(3);
ALTER TABLE "backtest" ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "backtest_batch" ADD COLUMN "started_at" TIMESTAMPTZ(3);
ALTER TABLE "backtest_batch" ADD COLUMN "duration_ms" INTEGER;

-- Listing a caller's backtests by status / symbol / strategy, newest first.
CREATE INDEX "backtest_owner_status_queued_at_idx" ON "backtest" ("owner", "status", "queued_at");
CREATE INDEX "backtest_strategy_id_idx" ON "backtest" ("strategy_id");
