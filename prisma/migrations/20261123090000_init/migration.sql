-- Relational tables of prisma/schema.prisma. Dialect-specific candle storage (hypertable,
-- continuous aggregates or their portable equivalents) follows in the next migration.

-- CreateEnum
CREATE TYPE "api_key_role" AS ENUM ('reader', 'trader', 'admin');

-- CreateEnum
CREATE TYPE "backtest_status" AS ENUM ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "instrument" (
    "id" SERIAL NOT NULL,
    "symbol" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "base_interval" TEXT NOT NULL,
    "data_version" BIGINT NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instrument_pkey" PRIMARY KEY ("id")
);

-- CreateTable
-- No foreign key to instrument, deliberately: ingest is the only writer and creates/locks the
-- instrument in the same transaction, while a per-row FK check costs ~3/4 of bulk ingest time.
CREATE TABLE "candle" (
    "instrument_id" INTEGER NOT NULL,
    "ts" TIMESTAMPTZ(6) NOT NULL,
    "open" DOUBLE PRECISION NOT NULL,
    "high" DOUBLE PRECISION NOT NULL,
    "low" DOUBLE PRECISION NOT NULL,
    "close" DOUBLE PRECISION NOT NULL,
    "volume" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "candle_pkey" PRIMARY KEY ("instrument_id","ts")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "role" "api_key_role" NOT NULL,
    "label" TEXT,
    "prefix" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "strategy" (
    "id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "parameters" JSONB NOT NULL,
    "description" TEXT,
    "archived_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "strategy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "backtest_batch" (
    "id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "strategy_id" UUID NOT NULL,
    "symbols" TEXT[],
    "interval" TEXT NOT NULL,
    "from_ts" TIMESTAMPTZ(3) NOT NULL,
    "to_ts" TIMESTAMPTZ(3) NOT NULL,
    "config" JSONB NOT NULL,
    "status" "backtest_status" NOT NULL DEFAULT 'QUEUED',
    "total" INTEGER NOT NULL,
    "completed" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "summary" JSONB,
    "data_fetch_ms" INTEGER,
    "queued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "backtest_batch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "backtest" (
    "id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "strategy_id" UUID NOT NULL,
    "batch_id" UUID,
    "instrument_id" INTEGER NOT NULL,
    "symbol" TEXT NOT NULL,
    "interval" TEXT NOT NULL,
    "from_ts" TIMESTAMPTZ(3) NOT NULL,
    "to_ts" TIMESTAMPTZ(3) NOT NULL,
    "config" JSONB NOT NULL,
    "cache_key" TEXT NOT NULL,
    "status" "backtest_status" NOT NULL DEFAULT 'QUEUED',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "bars_processed" INTEGER NOT NULL DEFAULT 0,
    "total_bars" INTEGER NOT NULL DEFAULT 0,
    "from_cache" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "metrics" JSONB,
    "equity_curve" JSONB,
    "queued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "duration_ms" INTEGER,

    CONSTRAINT "backtest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trade" (
    "backtest_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "side" TEXT NOT NULL,
    "entry_time" TIMESTAMPTZ(3) NOT NULL,
    "entry_price" DOUBLE PRECISION NOT NULL,
    "exit_time" TIMESTAMPTZ(3) NOT NULL,
    "exit_price" DOUBLE PRECISION NOT NULL,
    "quantity" DOUBLE PRECISION NOT NULL,
    "pnl" DOUBLE PRECISION NOT NULL,
    "return_pct" DOUBLE PRECISION NOT NULL,
    "fees" DOUBLE PRECISION NOT NULL,
    "bars_held" INTEGER NOT NULL,

    CONSTRAINT "trade_pkey" PRIMARY KEY ("backtest_id","seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "instrument_symbol_key" ON "instrument"("symbol");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_key_hash_key" ON "api_key"("key_hash");

-- CreateIndex
CREATE INDEX "api_key_owner_idx" ON "api_key"("owner");

-- CreateIndex
CREATE INDEX "strategy_owner_created_at_idx" ON "strategy"("owner", "created_at");

-- CreateIndex
CREATE INDEX "backtest_batch_owner_queued_at_idx" ON "backtest_batch"("owner", "queued_at");

-- CreateIndex
CREATE INDEX "backtest_owner_queued_at_idx" ON "backtest"("owner", "queued_at");

-- CreateIndex
CREATE INDEX "backtest_cache_key_status_idx" ON "backtest"("cache_key", "status");

-- CreateIndex
CREATE INDEX "backtest_batch_id_idx" ON "backtest"("batch_id");

-- AddForeignKey
ALTER TABLE "backtest_batch" ADD CONSTRAINT "backtest_batch_strategy_id_fkey" FOREIGN KEY ("strategy_id") REFERENCES "strategy"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backtest" ADD CONSTRAINT "backtest_strategy_id_fkey" FOREIGN KEY ("strategy_id") REFERENCES "strategy"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backtest" ADD CONSTRAINT "backtest_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "backtest_batch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backtest" ADD CONSTRAINT "backtest_instrument_id_fkey" FOREIGN KEY ("instrument_id") REFERENCES "instrument"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trade" ADD CONSTRAINT "trade_backtest_id_fkey" FOREIGN KEY ("backtest_id") REFERENCES "backtest"("id") ON DELETE CASCADE ON UPDATE CASCADE;
