import type { QueueStatus } from './system.service.js';

/** Latency of one operation since the process started (prom-client's summary). */
export interface OperationLatency {
  name: string;
  type: string;
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface CacheLevelStats {
  hits: number;
  misses: number;
  /** hits / (hits + misses); null before the first lookup. */
  hitRate: number | null;
}

/** What `systemMetrics` shows: the process's own figures, as /metrics has them. */
export interface SystemMetrics {
  operations: OperationLatency[];
  candleCache: { l1: CacheLevelStats; l2: CacheLevelStats | null };
  queue: QueueStatus;
  openSubscriptions: number;
}

/** Reads the figures (the HTTP application measures them; resolvers get this through the context). */
export interface SystemMetricsSource {
  snapshot(): Promise<SystemMetrics>;
}
