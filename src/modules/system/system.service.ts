import type { Config } from '../../config/env.js';
import type { Dialect } from '../../db/dialect.js';
import { VERSION } from '../../lib/version.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { Database } from '../../db/pool.js';
import { findAggregateFreshness, findHypertables, findSequentialScanTables, findUnusedIndexes, type AggregateFreshness, type HypertableInfo, type IndexUsage, type TableScans } from './diagnostics.store.js';

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

export interface QueueStatus {
  mode: Config['queueMode'];
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface DbDiagnostics {
  dialect: 'timescaledb' | 'portable';
  unusedIndexes: IndexUsage[];
  sequentialScans: TableScans[];
  hypertables: HypertableInfo[];
  aggregates: AggregateFreshness;
}

/** What this deployment runs on, and its limits. */
export class SystemService {
  constructor(
    private readonly deps: {
      config: Pick<Config, 'database' | 'queueMode' | 'pubsubMode' | 'graphql' | 'market' | 'backtest'>;
      dialect: Dialect;
      queue: Pick<JobQueue, 'counts' | 'ping'>;
      db: Pick<Database, 'pool'>;
    },
  ) {}

  /** Can backtests be submitted (the queue reachable)? For /ready. */
  pingQueue(): ReturnType<JobQueue['ping']> {
    return this.deps.queue.ping();
  }

  /** Jobs by state and where they are queued (admin). */
  async queueStatus(): Promise<QueueStatus> {
    return { mode: this.deps.config.queueMode, ...(await this.deps.queue.counts()) };
  }

  /**
   * What an operator checks when the database is slow (admin): unused indexes, tables read
   * by sequential scans, hypertables' chunks and compression (TimescaleDB; empty on the
   * portable dialect), and how many instruments' aggregates are behind their data.
   */
  async dbDiagnostics(): Promise<DbDiagnostics> {
    const pool = this.deps.db.pool;
    const [unusedIndexes, sequentialScans, hypertables, aggregates] = await Promise.all([
      findUnusedIndexes(pool),
      findSequentialScanTables(pool),
      this.deps.dialect.timescaledb ? findHypertables(pool) : Promise.resolve([]),
      findAggregateFreshness(pool),
    ]);
    return { dialect: this.deps.dialect.timescaledb ? 'timescaledb' : 'portable', unusedIndexes, sequentialScans, hypertables, aggregates };
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
