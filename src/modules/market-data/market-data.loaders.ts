import DataLoader from 'dataloader';
import type { CandleRow } from './candle-columns.js';
import type { MarketSummaryRow } from './candle.store.js';
import type { Coverage } from './coverage.js';
import type { MarketDataService } from './market-data.service.js';

/** Key of a coverage load: the instrument and its base interval (the step gaps are measured in). */
export interface CoverageKey {
  id: number;
  baseInterval: string;
}

/**
 * Per-request DataLoaders: every instrument of a response is answered by one SQL statement
 * per field (test/market-data/batching.test.ts counts them), results in key order.
 */
export function createMarketDataLoaders(marketData: MarketDataService) {
  return {
    latestCandle: new DataLoader<number, CandleRow | null>((ids) => marketData.listLatestCandles(ids)),
    summary: new DataLoader<number, MarketSummaryRow | null>((ids) => marketData.listSummariesById(ids)),
    sparkline: new DataLoader<number, number[]>((ids) => marketData.listSparklines(ids)),
    coverage: new DataLoader<CoverageKey, Coverage, number>((keys) => marketData.listCoverage(keys), { cacheKeyFn: (k) => k.id }),
  };
}

export type MarketDataLoaders = ReturnType<typeof createMarketDataLoaders>;
