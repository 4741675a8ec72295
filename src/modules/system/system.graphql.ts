import { builder } from '../../graphql/builder.js';
import type { AggregateFreshness, HypertableInfo, IndexUsage, TableScans } from './diagnostics.store.js';
import type { CacheLevelStats, OperationLatency, SystemMetrics } from './system-metrics.js';
import type { DbDiagnostics, QueueStatus, SystemInfo } from './system.service.js';

const QueueMode = builder.enumType('QueueMode', {
  description: 'Where backtest jobs are queued.',
  values: {
    BULLMQ: { value: 'bullmq', description: 'BullMQ on Redis: jobs are shared by every worker process.' },
    IN_PROCESS: { value: 'in-process', description: 'In the API process (embedded mode), off the main thread.' },
  } as const,
});

const PubSubMode = builder.enumType('PubSubMode', {
  description: 'How subscription events travel.',
  values: {
    REDIS: { value: 'redis', description: 'Redis pub/sub: events reach subscribers on every API replica.' },
    IN_PROCESS: { value: 'in-process', description: 'Within this process only (embedded mode).' },
  } as const,
});

const DatabaseInfo = builder.objectRef<SystemInfo['database']>('DatabaseInfo').implement({
  description: 'The database this deployment runs on.',
  fields: (t) => ({
    timescaledb: t.exposeBoolean('timescaledb', {
      description: 'True when candles live in a TimescaleDB hypertable with continuous aggregates.',
    }),
    timescaledbVersion: t.exposeString('timescaledbVersion', {
      nullable: true,
      description: 'TimescaleDB extension version, when active.',
    }),
    serverVersion: t.exposeString('serverVersion', { description: 'PostgreSQL server version, e.g. "15.20".' }),
  }),
});

const SystemInfoRef = builder.objectRef<SystemInfo>('SystemInfo').implement({
  description: 'Version and runtime shape of this deployment.',
  fields: (t) => ({
    version: t.exposeString('version', { description: 'quantql version.' }),
    embedded: t.exposeBoolean('embedded', {
      description: 'True when running on the embedded PostgreSQL (no DATABASE_URL).',
    }),
    database: t.field({ type: DatabaseInfo, resolve: (s) => s.database, description: 'Database engine.' }),
    queueMode: t.field({ type: QueueMode, resolve: (s) => s.queueMode, description: 'Job queue transport.' }),
    pubsubMode: t.field({ type: PubSubMode, resolve: (s) => s.pubsubMode, description: 'Subscription transport.' }),
  }),
});

builder.queryField('systemInfo', (t) =>
  t.field({
    type: SystemInfoRef,
    description: 'Version, database engine (and whether TimescaleDB is active), queue and pub/sub mode.',
    authScopes: { reader: true },
    resolve: (_root, _args, ctx) => ctx.services.system.getSystemInfo(),
  }),
);

const QueueStatusRef = builder.objectRef<QueueStatus>('QueueStatus').implement({
  description: 'Backtest jobs by state.',
  fields: (t) => ({
    mode: t.field({ type: QueueMode, resolve: (q) => q.mode, description: 'Where jobs are queued.' }),
    waiting: t.exposeInt('waiting', { description: 'Jobs waiting for a worker.' }),
    active: t.exposeInt('active', { description: 'Jobs running now.' }),
    delayed: t.exposeInt('delayed', { description: 'Jobs waiting to be retried.' }),
    failed: t.exposeInt('failed', { description: 'Jobs that failed for good (kept for inspection).' }),
  }),
});

const IndexUsageRef = builder.objectRef<IndexUsage>('IndexUsage').implement({
  description: 'An index never used since statistics were reset.',
  fields: (t) => ({
    table: t.exposeString('table', { description: 'Table.' }),
    index: t.exposeString('index', { description: 'Index.' }),
    scans: t.exposeFloat('scans', { description: 'Scans since statistics were reset.' }),
    sizeBytes: t.exposeFloat('sizeBytes', { description: 'Size on disk.' }),
  }),
});

const TableScansRef = builder.objectRef<TableScans>('TableScans').implement({
  description: 'A table read mostly by sequential scans.',
  fields: (t) => ({
    table: t.exposeString('table', { description: 'Table.' }),
    sequentialScans: t.exposeFloat('sequentialScans', { description: 'Sequential scans since statistics were reset.' }),
    rowsReadSequentially: t.exposeFloat('rowsReadSequentially', { description: 'Rows those scans read.' }),
    indexScans: t.exposeFloat('indexScans', { description: 'Index scans since statistics were reset.' }),
    liveRows: t.exposeFloat('liveRows', { description: 'Estimated rows in the table.' }),
  }),
});

const HypertableInfoRef = builder.objectRef<HypertableInfo>('HypertableInfo').implement({
  description: 'A TimescaleDB hypertable: its chunks and compression.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Hypertable.' }),
    chunks: t.exposeFloat('chunks', { description: 'Chunks.' }),
    compressedChunks: t.exposeFloat('compressedChunks', { description: 'Chunks compressed.' }),
    bytesBeforeCompression: t.exposeFloat('bytesBeforeCompression', { nullable: true, description: 'Bytes of the compressed chunks before compression.' }),
    bytesAfterCompression: t.exposeFloat('bytesAfterCompression', { nullable: true, description: 'Bytes of the compressed chunks after compression.' }),
    compressionRatio: t.float({
      nullable: true,
      description: 'bytesBeforeCompression / bytesAfterCompression; null until a chunk is compressed.',
      resolve: (h) => (h.bytesBeforeCompression && h.bytesAfterCompression ? h.bytesBeforeCompression / h.bytesAfterCompression : null),
    }),
  }),
});

const AggregateFreshnessRef = builder.objectRef<AggregateFreshness>('AggregateFreshness').implement({
  description: 'Hourly and daily aggregates against the data they summarise.',
  fields: (t) => ({
    instruments: t.exposeInt('instruments', { description: 'Instruments.' }),
    behind: t.exposeInt('behind', { description: 'Instruments whose aggregates are behind their last ingest (read from raw bars meanwhile).' }),
    oldestPendingSince: t.expose('oldestPendingSince', { type: 'DateTime', nullable: true, description: 'Last change of the instrument behind the longest.' }),
  }),
});

const DbDiagnosticsRef = builder.objectRef<DbDiagnostics>('DbDiagnostics').implement({
  description: 'What to check when the database is slow.',
  fields: (t) => ({
    dialect: t.exposeString('dialect', { description: 'timescaledb or portable.' }),
    unusedIndexes: t.field({ type: [IndexUsageRef], resolve: (d) => d.unusedIndexes, description: 'Indexes never scanned (primary and unique excluded), biggest first.' }),
    sequentialScans: t.field({ type: [TableScansRef], resolve: (d) => d.sequentialScans, description: 'Tables read mostly by sequential scans, worst first.' }),
    hypertables: t.field({ type: [HypertableInfoRef], resolve: (d) => d.hypertables, description: 'Hypertables with chunks and compression (empty on the portable dialect).' }),
    aggregates: t.field({ type: AggregateFreshnessRef, resolve: (d) => d.aggregates, description: 'How far the aggregates are behind.' }),
  }),
});

const OperationLatencyRef = builder.objectRef<OperationLatency>('OperationLatency').implement({
  description: 'Latency of one operation in this process since it started.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Operation name (Anonymous when unnamed).' }),
    type: t.exposeString('type', { description: 'query, mutation or subscription.' }),
    count: t.exposeFloat('count', { description: 'Operations observed since the process started.' }),
    p50Ms: t.exposeFloat('p50Ms', { nullable: true, description: 'Median, in milliseconds.' }),
    p95Ms: t.exposeFloat('p95Ms', { nullable: true, description: '95th percentile, in milliseconds.' }),
    p99Ms: t.exposeFloat('p99Ms', { nullable: true, description: '99th percentile, in milliseconds.' }),
  }),
});

const CacheLevelStatsRef = builder.objectRef<CacheLevelStats>('CacheLevelStats').implement({
  description: 'Lookups of one level of the candle cache since the process started.',
  fields: (t) => ({
    hits: t.exposeFloat('hits', { description: 'Ranges found.' }),
    misses: t.exposeFloat('misses', { description: 'Ranges not found.' }),
    hitRate: t.exposeFloat('hitRate', { nullable: true, description: 'hits / (hits + misses); null before the first lookup.' }),
  }),
});

const CandleCacheStatsRef = builder.objectRef<SystemMetrics['candleCache']>('CandleCacheStats').implement({
  description: 'The candle cache of this process (L1) and the shared one (L2, Redis).',
  fields: (t) => ({
    l1: t.field({ type: CacheLevelStatsRef, resolve: (c) => c.l1, description: 'In-process level.' }),
    l2: t.field({ type: CacheLevelStatsRef, nullable: true, resolve: (c) => c.l2, description: 'Redis level; null without Redis.' }),
  }),
});

const SystemMetricsRef = builder.objectRef<SystemMetrics>('SystemMetrics').implement({
  description: 'This API process’s own figures (the same as /metrics).',
  fields: (t) => ({
    operations: t.field({ type: [OperationLatencyRef], resolve: (m) => m.operations, description: 'Per operation, slowest p95 first.' }),
    candleCache: t.field({ type: CandleCacheStatsRef, resolve: (m) => m.candleCache, description: 'Candle cache hit rates.' }),
    queue: t.field({ type: QueueStatusRef, resolve: (m) => m.queue, description: 'Backtest jobs by state.' }),
    openSubscriptions: t.exposeFloat('openSubscriptions', { description: 'Subscriptions open on this process now.' }),
  }),
});

builder.queryFields((t) => ({
  systemMetrics: t.field({
    type: SystemMetricsRef,
    description: 'p50/p95/p99 per operation, cache hit rates, queue depth and open subscriptions of the API process that answers (admin).',
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => ctx.metrics.snapshot(),
  }),
  queueStatus: t.field({
    type: QueueStatusRef,
    description: 'Backtest jobs by state (admin).',
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => ctx.services.system.queueStatus(),
  }),
  dbDiagnostics: t.field({
    type: DbDiagnosticsRef,
    description: 'Unused indexes, sequential-scan-heavy tables, hypertable chunks and compression, aggregate freshness (admin).',
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => ctx.services.system.dbDiagnostics(),
  }),
}));
