import type { PrismaClient } from './db/prisma.js';
import type { Viewer } from './modules/accounts/access.js';
import type { AccountsService } from './modules/accounts/accounts.service.js';
import type { BacktestEventsService } from './modules/backtests/backtest-events.service.js';
import type { BacktestRunService } from './modules/backtests/backtest-runs.service.js';
import { createBacktestLoaders, type BacktestLoaders } from './modules/backtests/backtests.loaders.js';
import type { BacktestsService } from './modules/backtests/backtests.service.js';
import { createMarketDataLoaders, type MarketDataLoaders } from './modules/market-data/market-data.loaders.js';
import type { MarketDataService } from './modules/market-data/market-data.service.js';
import type { StrategiesService } from './modules/strategies/strategies.service.js';
import type { SystemMetricsSource } from './modules/system/system-metrics.js';
import type { SystemService } from './modules/system/system.service.js';

/** The use cases of every module, built once per process (deps.ts) and shared by every request and job. */
export interface Services {
  accounts: AccountsService;
  strategies: StrategiesService;
  marketData: MarketDataService;
  backtests: BacktestsService;
  backtestRuns: BacktestRunService;
  backtestEvents: BacktestEventsService;
  system: SystemService;
}

/** Per-request batching: DataLoaders, and the client the Pothos prisma plugin loads relations with. */
export interface Loaders {
  marketData: MarketDataLoaders;
  backtests: BacktestLoaders;
  /**
   * For the Pothos prisma plugin only (graphql/builder.ts): it resolves `...query`
   * selections and relation fields with it, batched per request. Resolvers call services.
   */
  relations: PrismaClient;
}

/** Per-request context: the caller, the request id, the services resolvers delegate to, and the request's loaders. */
export interface Context {
  viewer: Viewer;
  requestId: string;
  services: Services;
  loaders: Loaders;
  /** This process's operation latencies, cache and queue figures (systemMetrics). */
  metrics: SystemMetricsSource;
}

/** Loaders are built per request: their caches must never outlive it (or cross callers). */
export function createLoaders(services: Services, prisma: PrismaClient): Loaders {
  return { marketData: createMarketDataLoaders(services.marketData), backtests: createBacktestLoaders(services.backtests), relations: prisma };
}
