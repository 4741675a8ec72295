import { builder } from '../../graphql/builder.js';
import type { SystemInfo } from './system.service.js';

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
