import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/pool.js';
import type { OperationLatency, SystemMetricsSource } from '../modules/system/system-metrics.js';
import type { QueueStatus } from '../modules/system/system.service.js';

/** What /metrics reads besides what it measures itself. */
export interface MetricSources {
  db: Pick<Database, 'onQuery'>;
  /** Jobs by state (BullMQ's counts, or the in-process queue's) and the queue's mode. */
  queueStatus(): Promise<QueueStatus>;
  /** The candle cache's counters since the process started. */
  cacheStats(): { l1: { hits: number; misses: number; bytes: number }; l2: { hits: number; misses: number; errors: number } | null };
}

/**
 * Prometheus metrics at /metrics, from maintained libraries: prom-client (process metrics,
 * our gauges and histograms) and the yoga Prometheus plugin (operation durations by name,
 * parse/validate/execute phases, errors). Measured here as well: SQL durations by statement
 * name (the comment each statement of ours starts with), queue depth by state, candle cache
 * hits and misses by level, open subscriptions.
 *
 * One registry per process (not prom-client's global one): tests build many apps in one
 * process, each with its own. With `token` set, /metrics answers only
 * `Authorization: Bearer <token>` (the figures describe the deployment).
 */
export function useMetrics(sources: MetricSources, options: { token: string | null }): { plugins: Plugin[]; source: SystemMetricsSource } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'quantql_' });

  const sql = new Histogram({
    name: 'quantql_sql_duration_seconds',
    help: 'SQL statement durations by statement name (the /* name */ comment; "prisma" for Prisma’s, "other" otherwise)',
    labelNames: ['statement', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const stopSql = sources.db.onQuery(({ text, durationMs, error }) => {
    sql.observe({ statement: statementName(text), outcome: error ? 'error' : 'ok' }, durationMs / 1000);
  });

  new Gauge({
    name: 'quantql_queue_jobs',
    help: 'Backtest jobs by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const status = await sources.queueStatus().catch(() => null);
      if (!status) return;
      for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) this.set({ state }, status[state]);
    },
  });
  new Gauge({
    name: 'quantql_candle_cache_lookups',
    help: 'Candle cache lookups since start, by level and result',
    labelNames: ['level', 'result'],
    registers: [registry],
    collect() {
      const stats = sources.cacheStats();
      this.set({ level: 'l1', result: 'hit' }, stats.l1.hits);
      this.set({ level: 'l1', result: 'miss' }, stats.l1.misses);
      if (stats.l2) {
        this.set({ level: 'l2', result: 'hit' }, stats.l2.hits);
        this.set({ level: 'l2', result: 'miss' }, stats.l2.misses);
        this.set({ level: 'l2', result: 'error' }, stats.l2.errors);
      }
    },
  });
  const subscriptions = new Gauge({ name: 'quantql_open_subscriptions', help: 'GraphQL subscriptions open now', registers: [registry] });

  const serve: Plugin = {
    async onRequest({ url, request, fetchAPI, endResponse }) {
      if (url.pathname !== '/metrics') return;
      if (options.token && request.headers.get('authorization') !== `Bearer ${options.token}`) {
        endResponse(new fetchAPI.Response('metrics need Authorization: Bearer <METRICS_TOKEN>\n', { status: 401, headers: { 'www-authenticate': 'Bearer' } }));
        return;
      }
      endResponse(new fetchAPI.Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } }));
    },
    onSubscribe() {
      subscriptions.inc();
      let open = true;
      const close = () => {
        if (open) subscriptions.dec();
        open = false;
      };
      return {
        onSubscribeResult: () => ({ onEnd: close }),
        onSubscribeError: close,
      };
    },
    onDispose: () => void stopSql(),
  };
  const plugins: Plugin[] = [
    usePrometheus({
      registry,
      endpoint: false,
      metrics: {
        // Full URLs as labels would grow without bound; the phases say where time goes.
        graphql_yoga_http_duration: false,
        // Latency quantiles of queries and mutations: a subscription's "request time" is how
        // long it stayed open, and its t-digest update on every close was ≈ 10 % of the API's
        // CPU when 1,000 SSE streams end together (docs/performance.md, fan-out).
        graphql_envelop_request_time_summary: ['execute'],
        // The same for the duration histogram and the subscribe phase (it ends when the stream
        // does): each was observed on every stream's end, in the fan-out of an event's last
        // step to every subscriber.
        graphql_envelop_request_duration: ['execute'],
        graphql_envelop_phase_subscribe: false,
        graphql_envelop_deprecated_field: false,
        graphql_envelop_schema_change: false,
      },
    }),
    serve,
  ];
  const source: SystemMetricsSource = {
    async snapshot() {
      const summary = registry.getSingleMetric('graphql_envelop_request_time_summary');
      const operations = summary ? operationLatencies((await summary.get()).values) : [];
      const cache = sources.cacheStats();
      return {
        operations,
        candleCache: { l1: levelStats(cache.l1.hits, cache.l1.misses), l2: cache.l2 ? levelStats(cache.l2.hits, cache.l2.misses) : null },
        queue: await sources.queueStatus(),
        openSubscriptions: (await subscriptions.get()).values[0]?.value ?? 0,
      };
    },
  };
  return { plugins, source };
}

function levelStats(hits: number, misses: number) {
  return { hits, misses, hitRate: hits + misses > 0 ? hits / (hits + misses) : null };
}

type SummaryValue = { labels: Partial<Record<string, string | number>>; value: number; metricName?: string };

/** prom-client summary samples (quantiles, _count) → one row per operation, slowest p95 first. */
function operationLatencies(values: SummaryValue[]): OperationLatency[] {
  const byOperation = new Map<string, OperationLatency>();
  for (const v of values) {
    const name = String(v.labels.operationName ?? 'Anonymous');
    const type = String(v.labels.operationType ?? 'unknown');
    const key = `${type}:${name}`;
    let row = byOperation.get(key);
    if (!row) byOperation.set(key, (row = { name, type, count: 0, p50Ms: null, p95Ms: null, p99Ms: null }));
    const ms = Number.isFinite(v.value) ? v.value * 1000 : null;
    if (v.metricName?.endsWith('_count')) row.count = v.value;
    else if (v.labels.quantile === 0.5) row.p50Ms = ms;
    else if (v.labels.quantile === 0.95) row.p95Ms = ms;
    else if (v.labels.quantile === 0.99) row.p99Ms = ms;
  }
  return [...byOperation.values()].sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0));
}

/** `/* findCandleBlocks *\/ SELECT …` → findCandleBlocks; Prisma's statements → prisma. */
function statementName(text: string | undefined): string {
  if (!text) return 'other';
  const named = /^\s*(?:COPY \()?\s*\/\*\s*([A-Za-z][\w.-]{0,63})\s*\*\//.exec(text);
  if (named) return named[1]!;
  return /"public"\."\w+"/.test(text) ? 'prisma' : 'other';
}
