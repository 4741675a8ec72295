import type { Config } from '../../config/env.js';
import type { Dialect } from '../../db/dialect.js';
import { VERSION } from '../../lib/version.js';
import type { JobQueue } from '../../jobs/queue.js';

export interface SystemInfo {
  version: string;
  embedded: boolean;
  database: Dialect;
  queueMode: Config['queueMode'];
  pubsubMode: Config['pubsubMode'];
}

/** The limits clients must stay within (GRAPHQL_*, MARKET_*, BACKTEST_*). */
export interface Limits {
  maxPageSize: number;
  candlesMaxPoints: number;
  ingestMaxCandles: number;
  maxBatchSymbols: number;
}

/** What this deployment runs on, and its limits. */
export class SystemService {
  constructor(
    private readonly deps: {
      config: Pick<Config, 'database' | 'queueMode' | 'pubsubMode' | 'graphql' | 'market' | 'backtest'>;
      dialect: Dialect;
      queue: Pick<JobQueue, 'counts'>;
    },
  ) {}

  /** Backtest jobs by state (for /metrics). */
  queueCounts(): ReturnType<JobQueue['counts']> {
    return this.deps.queue.counts();
  }

  /** Safe to show to any reader: no addresses or credentials. */
  getSystemInfo(): SystemInfo {
    return {
      version: VERSION,
      embedded: this.deps.config.database.embedded,
      database: this.deps.dialect,
      queueMode: this.deps.config.queueMode,
      pubsubMode: this.deps.config.pubsubMode,
    };
  }

  getLimits(): Limits {
    const { graphql, market, backtest } = this.deps.config;
    return { maxPageSize: graphql.maxPageSize, candlesMaxPoints: market.candlesMaxPoints, ingestMaxCandles: market.ingestMaxCandles, maxBatchSymbols: backtest.maxBatchSymbols };
  }
}
