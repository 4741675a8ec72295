import { builder } from '../../graphql/builder.js';
import type { AggregateFreshness, HypertableInfo, IndexUsage, TableScans } from './diagnostics.store.js';
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

builder.queryFields((t) => ({
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
