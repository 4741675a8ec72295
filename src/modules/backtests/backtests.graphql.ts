import { downsampleEquity, metricCatalog, type BacktestAssumptions } from '../../engine/index.js';
import type { Backtest } from '../../generated/prisma/client.js';
import { builder } from '../../graphql/builder.js';
import { ErrorInterface } from '../../graphql/errors.js';
import { rawId } from '../../graphql/ids.js';
import { assertPageSize } from '../../graphql/pagination.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { visibleOwner } from '../strategies/strategies.service.js';
import { BacktestFinishedError, NoDataError, QueueUnavailableError } from './backtests.errors.js';
import type { BacktestProgressEvent, BatchProgressEvent } from './backtests.events.js';
import { cancelBacktest, runBacktest, runBacktestBatch } from './backtests.service.js';
import { backtestCompletedStream, backtestProgressStream, batchProgressStream } from './backtests.subscriptions.js';

const BacktestStatusEnum = builder.enumType('BacktestStatus', {
  description: 'Lifecycle of a backtest: QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED.',
  values: ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const,
});

const FillTimingEnum = builder.enumType('FillTiming', {
  description: 'When a signal computed at the close of bar t is filled.',
  values: {
    NEXT_OPEN: { description: 'At the open of bar t+1 (default; no look-ahead).' },
    CLOSE: { description: 'At the close of bar t.' },
  } as const,
});

for (const E of [NoDataError, BacktestFinishedError, QueueUnavailableError]) {
  builder.objectType(E, {
    name: E.name,
    description:
      E === NoDataError ? 'The range holds no candles for the symbol.' : E === BacktestFinishedError ? 'The backtest already finished.' : 'The job queue is unavailable; nothing was created.',
    interfaces: [ErrorInterface],
    fields: () => ({}),
  });
}

type Metrics = Record<string, number | null>;
const BacktestMetricsRef = builder.objectRef<Metrics>('BacktestMetrics').implement({
  description: 'Performance of a finished backtest (fractions, not percent); null where undefined (e.g. no trades). See metricCatalog for formulas.',
  fields: (t) =>
    Object.fromEntries(
      metricCatalog.map((m) => [
        m.name,
        m.isInteger
          ? t.int({ nullable: true, description: `${m.label}: ${m.formula}`, resolve: (x) => (x[m.name] === null || x[m.name] === undefined ? null : Math.round(x[m.name]!)) })
          : t.float({ nullable: true, description: `${m.label}: ${m.formula}`, resolve: (x) => x[m.name] ?? null }),
      ]),
    ),
});

const AssumptionsRef = builder.objectRef<BacktestAssumptions>('BacktestAssumptions').implement({
  description: 'The conditions a backtest ran with: read results only together with these.',
  fields: (t) => ({
    fillTiming: t.field({ type: FillTimingEnum, resolve: (a) => a.fillTiming }),
    initialCapital: t.exposeFloat('initialCapital'),
    commission: t.exposeFloat('commission', { description: 'Fraction of notional per fill.' }),
    slippage: t.exposeFloat('slippage', { description: 'Fraction moving each fill against the trade.' }),
    positionSize: t.exposeFloat('positionSize', { description: 'Fraction of equity committed per entry.' }),
    allowShort: t.exposeBoolean('allowShort'),
    lotSize: t.exposeFloat('lotSize', { nullable: true }),
    riskFreeRate: t.exposeFloat('riskFreeRate'),
    periodsPerYear: t.exposeFloat('periodsPerYear', { nullable: true, description: 'Used for annualisation.' }),
    periodsPerYearSource: t.exposeString('periodsPerYearSource', { description: 'CONFIG (given) or OBSERVED (bars per calendar year in the data).' }),
    daysPerYear: t.exposeFloat('daysPerYear'),
  }),
});

const EquityPointRef = builder.objectRef<{ time: Date; equity: number; drawdown: number }>('EquityPoint').implement({
  description: 'Equity marked at a bar close.',
  fields: (t) => ({
    time: t.expose('time', { type: 'DateTime' }),
    equity: t.exposeFloat('equity'),
    drawdown: t.exposeFloat('drawdown', { description: 'equity / running peak − 1 (≤ 0).' }),
  }),
});

builder.prismaObject('Trade', {
  description: 'A closed round trip. Prices are fill prices after slippage.',
  fields: (t) => ({
    seq: t.exposeInt('seq', { description: 'Order within the backtest, from 0.' }),
    side: t.exposeString('side', { description: 'LONG or SHORT.' }),
    entryTime: t.expose('entryTime', { type: 'DateTime' }),
    entryPrice: t.exposeFloat('entryPrice'),
    exitTime: t.expose('exitTime', { type: 'DateTime' }),
    exitPrice: t.exposeFloat('exitPrice'),
    quantity: t.exposeFloat('quantity'),
    pnl: t.exposeFloat('pnl', { description: 'Net profit after both fees.' }),
    returnPct: t.exposeFloat('returnPct', { description: 'pnl / entry notional (a fraction).' }),
    fees: t.exposeFloat('fees'),
    barsHeld: t.exposeInt('barsHeld'),
  }),
});

const ownerFilter = (ctx: { viewer: Parameters<typeof visibleOwner>[0] }) => {
  const owner = visibleOwner(ctx.viewer);
  return owner === null ? {} : { owner };
};

export const BacktestNode = builder.prismaNode('Backtest', {
  description: 'One strategy run over one symbol and range.',
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, ...ownerFilter(ctx) }),
  fields: (t) => ({
    status: t.field({ type: BacktestStatusEnum, resolve: (b) => b.status }),
    progress: t.exposeFloat('progress', { description: '0..1' }),
    barsProcessed: t.exposeInt('barsProcessed'),
    totalBars: t.exposeInt('totalBars'),
    fromCache: t.exposeBoolean('fromCache', { description: 'Served from an identical earlier run on the same data.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why it FAILED.' }),
    strategy: t.relation('strategy'),
    symbol: t.exposeString('symbol'),
    interval: t.exposeString('interval'),
    from: t.expose('from', { type: 'DateTime', description: 'Inclusive.' }),
    to: t.expose('to', { type: 'DateTime', description: 'Exclusive.' }),
    queuedAt: t.expose('queuedAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    durationMs: t.exposeInt('durationMs', { nullable: true, description: 'From start to finish.' }),
    metrics: t.field({ type: BacktestMetricsRef, nullable: true, description: 'Set when COMPLETED.', resolve: (b) => (b.metrics as Metrics | null) ?? null }),
    assumptions: t.field({ type: AssumptionsRef, nullable: true, description: 'Set when COMPLETED.', resolve: (b) => (b.assumptions as BacktestAssumptions | null) ?? null }),
    trades: t.relatedConnection('trades', {
      cursor: 'backtestId_seq',
      query: { orderBy: { seq: 'asc' } },
      defaultSize: 100,
      maxSize: (_args, ctx) => ctx.config.GRAPHQL_MAX_PAGE_SIZE,
      description: 'Trades in order.',
    }),
    equityCurve: t.field({
      type: [EquityPointRef],
      description: 'Equity curve, downsampled to maxPoints (2..2000) keeping the first, last, peak and trough points.',
      args: { maxPoints: t.arg.int({ defaultValue: 500 }) },
      resolve: (b, args) => {
        const max = args.maxPoints ?? 500;
        if (!Number.isInteger(max) || max < 2 || max > 2000) throw new ValidationError([{ path: ['maxPoints'], message: 'must be a whole number from 2 to 2000' }]);
        const stored = b.equityCurve as { time: number[]; equity: number[]; drawdown: number[] } | null;
        if (!stored) return [];
        const curve = downsampleEquity({ time: Float64Array.from(stored.time), equity: Float64Array.from(stored.equity), drawdown: Float64Array.from(stored.drawdown) }, max);
        return Array.from(curve.time, (time, i) => ({ time: new Date(time), equity: curve.equity[i]!, drawdown: curve.drawdown[i]! }));
      },
    }),
    batch: t.relation('batch', { nullable: true }),
  }),
});

const BatchSummaryRef = builder.objectRef<{ averageReturn: number | null; best: { symbol: string; totalReturn: number } | null; worst: { symbol: string; totalReturn: number } | null }>('BatchSummary').implement({
  description: 'Figures over the completed children of a batch.',
  fields: (t) => ({
    averageReturn: t.exposeFloat('averageReturn', { nullable: true }),
    bestSymbol: t.string({ nullable: true, resolve: (s) => s.best?.symbol ?? null }),
    bestReturn: t.float({ nullable: true, resolve: (s) => s.best?.totalReturn ?? null }),
    worstSymbol: t.string({ nullable: true, resolve: (s) => s.worst?.symbol ?? null }),
    worstReturn: t.float({ nullable: true, resolve: (s) => s.worst?.totalReturn ?? null }),
  }),
});

export const BacktestBatchNode = builder.prismaNode('BacktestBatch', {
  description: 'One strategy over many symbols.',
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, ...ownerFilter(ctx) }),
  fields: (t) => ({
    status: t.field({ type: BacktestStatusEnum, resolve: (b) => b.status }),
    strategy: t.relation('strategy'),
    symbols: t.exposeStringList('symbols'),
    interval: t.exposeString('interval'),
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    total: t.exposeInt('total'),
    completed: t.exposeInt('completed'),
    failed: t.exposeInt('failed'),
    summary: t.field({ type: BatchSummaryRef, nullable: true, resolve: (b) => (b.summary as never) ?? null }),
    dataFetchMs: t.exposeInt('dataFetchMs', { nullable: true, description: 'Time spent loading every child’s candles.' }),
    durationMs: t.exposeInt('durationMs', { nullable: true, description: 'From start to the last child.' }),
    queuedAt: t.expose('queuedAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    backtests: t.relatedConnection('backtests', {
      cursor: 'id',
      query: { orderBy: { symbol: 'asc' } },
      defaultSize: 100,
      maxSize: (_args, ctx) => ctx.config.GRAPHQL_MAX_PAGE_SIZE,
      description: 'Children, by symbol.',
    }),
  }),
});

const BacktestFilter = builder.inputType('BacktestFilter', {
  fields: (t) => ({
    status: t.field({ type: BacktestStatusEnum }),
    symbol: t.string(),
    strategyId: t.id(),
  }),
});

builder.queryFields((t) => ({
  backtest: t.prismaField({
    type: 'Backtest',
    nullable: true,
    description: 'One of your backtests; null when unknown or not yours.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: { reader: true },
    resolve: (query, _root, args, ctx) => ctx.prisma.backtest.findFirst({ ...query, where: { id: safeUuid(rawId(String(args.id), 'Backtest')), ...ownerFilter(ctx) } }),
  }),
  backtests: t.prismaConnection({
    type: 'Backtest',
    cursor: 'id',
    description: 'Your backtests, newest first.',
    args: { filter: t.arg({ type: BacktestFilter }) },
    authScopes: { reader: true },
    defaultSize: 50,
    maxSize: (_a, ctx) => ctx.config.GRAPHQL_MAX_PAGE_SIZE,
    resolve: (query, _root, args, ctx) => {
      assertPageSize(args, ctx.config.GRAPHQL_MAX_PAGE_SIZE);
      const f = args.filter ?? {};
      return ctx.prisma.backtest.findMany({
        ...query,
        where: {
          ...ownerFilter(ctx),
          ...(f.status ? { status: f.status } : {}),
          ...(f.symbol ? { symbol: f.symbol } : {}),
          ...(f.strategyId ? { strategyId: safeUuid(rawId(String(f.strategyId), 'Strategy')) } : {}),
        },
        orderBy: [{ queuedAt: 'desc' }, { id: 'desc' }],
      });
    },
  }),
  backtestBatch: t.prismaField({
    type: 'BacktestBatch',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { reader: true },
    resolve: (query, _root, args, ctx) => ctx.prisma.backtestBatch.findFirst({ ...query, where: { id: safeUuid(rawId(String(args.id), 'BacktestBatch')), ...ownerFilter(ctx) } }),
  }),
}));

/** A non-UUID id can match nothing; avoid a database cast error for it. */
function safeUuid(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id : '00000000-0000-0000-0000-000000000000';
}

/** Costs, sizing and fill timing: the same fields (and defaults) for single runs and batches. */
const runConfigFields = (t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0]) => ({
  interval: t.string({ required: true, description: 'Bar interval of the run (1m … 1M), at least the data’s base interval.' }),
  from: t.field({ type: 'DateTime', required: true, description: 'Inclusive.' }),
  to: t.field({ type: 'DateTime', required: true, description: 'Exclusive.' }),
  initialCapital: t.float({ defaultValue: 10000 }),
  commission: t.float({ defaultValue: 0, description: 'Fraction of notional per fill.' }),
  slippage: t.float({ defaultValue: 0, description: 'Fraction moving each fill price against the trade.' }),
  positionSize: t.float({ defaultValue: 1, description: 'Fraction of equity per entry (0, 1].' }),
  fillTiming: t.field({ type: FillTimingEnum, defaultValue: 'NEXT_OPEN' }),
  allowShort: t.boolean({ defaultValue: false }),
  lotSize: t.float({ description: 'Round quantities down to whole lots.' }),
  periodsPerYear: t.float({ description: 'Bars per year for annualisation (observed from the data when omitted).' }),
  riskFreeRate: t.float({ defaultValue: 0 }),
});

const RunBacktestInput = builder.inputType('RunBacktestInput', {
  description: 'One strategy over one symbol and range [from, to).',
  fields: (t) => ({ strategyId: t.id({ required: true }), symbol: t.string({ required: true }), ...runConfigFields(t) }),
});

const RunBacktestBatchInput = builder.inputType('RunBacktestBatchInput', {
  description: 'One strategy over many symbols (at most BACKTEST_MAX_BATCH_SYMBOLS).',
  fields: (t) => ({ strategyId: t.id({ required: true }), symbols: t.stringList({ required: true }), ...runConfigFields(t) }),
});

builder.mutationFields((t) => ({
  runBacktest: t.prismaField({
    type: 'Backtest',
    description: 'Queues a backtest (trader) and returns it at once: QUEUED, or COMPLETED with fromCache when an identical run on the same data exists.',
    errors: { types: [ValidationError, NotFoundError, NoDataError, QueueUnavailableError, ForbiddenError], directResult: true, union: { name: 'RunBacktestResult' } },
    args: { input: t.arg({ type: RunBacktestInput, required: true }) },
    authScopes: { trader: true },
    resolve: (_query, _root, { input }, ctx) => runBacktest(ctx, ctx.viewer, { ...input, strategyId: rawId(String(input.strategyId), 'Strategy') }),
  }),
  runBacktestBatch: t.prismaField({
    type: 'BacktestBatch',
    description: 'Queues one strategy over many symbols (trader); children run in parallel.',
    errors: { types: [ValidationError, NotFoundError, QueueUnavailableError, ForbiddenError], directResult: true, union: { name: 'RunBacktestBatchResult' } },
    args: { input: t.arg({ type: RunBacktestBatchInput, required: true }) },
    authScopes: { trader: true },
    resolve: (_query, _root, { input }, ctx) => runBacktestBatch(ctx, ctx.viewer, { ...input, strategyId: rawId(String(input.strategyId), 'Strategy') }),
  }),
  cancelBacktest: t.prismaField({
    type: 'Backtest',
    description: 'QUEUED → CANCELLED at once; RUNNING → CANCELLED within a second; finished → BacktestFinishedError.',
    errors: { types: [NotFoundError, BacktestFinishedError, ForbiddenError], directResult: true, union: { name: 'CancelBacktestResult' } },
    args: { id: t.arg.id({ required: true }) },
    authScopes: { trader: true },
    resolve: (_query, _root, args, ctx) => cancelBacktest(ctx, ctx.viewer, rawId(String(args.id), 'Backtest')),
  }),
}));

const BacktestProgressRef = builder.objectRef<BacktestProgressEvent>('BacktestProgress').implement({
  description: 'A progress event; the first one describes the current state.',
  fields: (t) => ({
    backtestId: t.exposeID('backtestId'),
    status: t.field({ type: BacktestStatusEnum, resolve: (e) => e.status }),
    progress: t.exposeFloat('progress'),
    barsProcessed: t.exposeInt('barsProcessed'),
    totalBars: t.exposeInt('totalBars'),
    equity: t.exposeFloat('equity', { nullable: true, description: 'Equity so far.' }),
    etaSeconds: t.exposeFloat('etaSeconds', { nullable: true, description: 'Estimated seconds remaining.' }),
    error: t.exposeString('error', { nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const BatchProgressRef = builder.objectRef<BatchProgressEvent & { backtestRow?: Backtest | null }>('BatchProgress').implement({
  description: 'A batch progress event: one per finished child; the first describes the current state.',
  fields: (t) => ({
    batchId: t.exposeID('batchId'),
    status: t.field({ type: BacktestStatusEnum, resolve: (e) => e.status }),
    completed: t.exposeInt('completed'),
    failed: t.exposeInt('failed'),
    total: t.exposeInt('total'),
    backtest: t.prismaField({
      type: 'Backtest',
      nullable: true,
      description: 'The child that just finished.',
      resolve: (query, e, _a, ctx) => (e.backtestId ? ctx.prisma.backtest.findUnique({ ...query, where: { id: e.backtestId } }) : null),
    }),
  }),
});

builder.subscriptionType({ description: 'Live updates (SSE or graphql-ws on /graphql).' });
builder.subscriptionFields((t) => ({
  backtestProgress: t.field({
    type: BacktestProgressRef,
    description: 'Current state first, then progress (≤ 5 events/s) until a terminal status.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: { reader: true },
    subscribe: (_root, args, ctx) => backtestProgressStream(ctx, rawId(String(args.id), 'Backtest')),
    resolve: (event) => event,
  }),
  backtestCompleted: t.field({
    type: BacktestNode,
    description: 'Exactly one event: the finished Backtest (at once if it already finished).',
    args: { id: t.arg.id({ required: true }) },
    authScopes: { reader: true },
    subscribe: (_root, args, ctx) => backtestCompletedStream(ctx, rawId(String(args.id), 'Backtest')),
    resolve: (backtest) => backtest,
  }),
  batchProgress: t.field({
    type: BatchProgressRef,
    description: 'Current state first, then one event per finished child, ending with the batch’s terminal status.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: { reader: true },
    subscribe: (_root, args, ctx) => batchProgressStream(ctx, rawId(String(args.id), 'BacktestBatch')),
    resolve: (event) => event,
  }),
}));

