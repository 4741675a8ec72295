import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { downsampleEquity, metricCatalog, type BacktestAssumptions, type StrategyKind } from '../../engine/index.js';
import { builder } from '../../graphql/builder.js';
import { ErrorInterface } from '../../graphql/errors.js';
import { parseGlobalId } from '../../graphql/ids.js';
import { assertPageSize, maxPageSize, pageExtensions, pageOptions } from '../../graphql/pagination.js';
import { ForbiddenError, NotFoundError, RateLimitedError, ValidationError } from '../../lib/errors.js';
import { ownerFilter } from '../accounts/access.js';
import { StrategyKindEnum } from '../strategies/strategies.graphql.js';
import { BacktestFinishedError, NoDataError, QueueUnavailableError } from './backtests.errors.js';
import { unpackEquity, unpackTrades, type TradeRow } from './result-columns.js';

export const BacktestStatusEnum = builder.enumType('BacktestStatus', {
  description: 'Lifecycle of a backtest: QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED.',
  values: {
    QUEUED: { description: 'Waiting for a worker.' },
    RUNNING: { description: 'A worker is running it.' },
    COMPLETED: { description: 'Finished with results (metrics, trades, equity curve).' },
    FAILED: { description: 'Ended without results; `error` says why.' },
    CANCELLED: { description: 'Stopped at the caller’s request.' },
  } as const,
});

const FillTimingEnum = builder.enumType('FillTiming', {
  description: 'When a signal computed at the close of bar t is filled.',
  values: {
    NEXT_OPEN: { description: 'At the open of bar t+1 (default; no look-ahead).' },
    CLOSE: { description: 'At the close of bar t.' },
  } as const,
});

const errorDescriptions = new Map<unknown, string>([
  [NoDataError, 'The range holds no candles for the symbol.'],
  [BacktestFinishedError, 'The backtest already finished.'],
  [QueueUnavailableError, 'The job queue is unavailable; nothing was created.'],
]);
for (const [E, description] of errorDescriptions) {
  builder.objectType(E as typeof NoDataError, { name: (E as typeof NoDataError).name, description, interfaces: [ErrorInterface], fields: () => ({}) });
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
    fillTiming: t.field({ type: FillTimingEnum, description: 'When signals were filled.', resolve: (a) => a.fillTiming }),
    initialCapital: t.exposeFloat('initialCapital', { description: 'Starting cash, in quote currency.' }),
    commission: t.exposeFloat('commission', { description: 'Fraction of notional per fill.' }),
    slippage: t.exposeFloat('slippage', { description: 'Fraction moving each fill against the trade.' }),
    positionSize: t.exposeFloat('positionSize', { description: 'Fraction of equity committed per entry.' }),
    allowShort: t.exposeBoolean('allowShort', { description: 'Whether short entries were allowed.' }),
    lotSize: t.exposeFloat('lotSize', { nullable: true, description: 'Quantities were rounded down to whole lots of this size; null: fractional.' }),
    riskFreeRate: t.exposeFloat('riskFreeRate', { description: 'Annual risk-free rate used by Sharpe and Sortino (a fraction).' }),
    periodsPerYear: t.exposeFloat('periodsPerYear', { nullable: true, description: 'Used for annualisation.' }),
    periodsPerYearSource: t.exposeString('periodsPerYearSource', { description: 'CONFIG (given) or OBSERVED (bars per calendar year in the data).' }),
    daysPerYear: t.exposeFloat('daysPerYear', { description: 'Length of a calendar year for CAGR and observed periods per year.' }),
    entriesSkipped: t.int({
      description:
        'Entry signals not taken because not even one lot (or no quantity) was affordable with the cash positionSize allows. Above 0 the sizing is too coarse for the capital: a run with no trades and entriesSkipped > 0 did not trade because of lotSize or capital, not because its strategy never signalled.',
      // Runs stored before this field existed report 0.
      resolve: (a) => a.entriesSkipped ?? 0,
    }),
  }),
});

const EquityPointRef = builder.objectRef<{ time: Date; equity: number; drawdown: number }>('EquityPoint').implement({
  description: 'Equity marked at a bar close.',
  fields: (t) => ({
    time: t.expose('time', { type: 'DateTime', description: 'Start of the bar whose close this marks.' }),
    equity: t.exposeFloat('equity', { description: 'Cash plus the position marked at the close, in quote currency.' }),
    drawdown: t.exposeFloat('drawdown', { description: 'equity / running peak − 1 (≤ 0).' }),
  }),
});

const TradeRef = builder.objectRef<TradeRow>('Trade').implement({
  description: 'A closed round trip. Prices are fill prices after slippage.',
  fields: (t) => ({
    seq: t.exposeInt('seq', { description: 'Order within the backtest, from 0.' }),
    side: t.exposeString('side', { description: 'LONG or SHORT.' }),
    entryTime: t.expose('entryTime', { type: 'DateTime', description: 'Start of the bar the entry filled in.' }),
    entryPrice: t.exposeFloat('entryPrice', { description: 'Entry fill price.' }),
    exitTime: t.expose('exitTime', { type: 'DateTime', description: 'Start of the bar the exit filled in.' }),
    exitPrice: t.exposeFloat('exitPrice', { description: 'Exit fill price.' }),
    quantity: t.exposeFloat('quantity', { description: 'Units held.' }),
    pnl: t.exposeFloat('pnl', { description: 'Net profit after both fees.' }),
    returnPct: t.exposeFloat('returnPct', { description: 'pnl / entry notional (a fraction).' }),
    fees: t.exposeFloat('fees', { description: 'Entry and exit fees.' }),
    barsHeld: t.exposeInt('barsHeld', { description: 'Bars between the entry and exit fills.' }),
  }),
});

export const BacktestNode = builder.prismaNode('Backtest', {
  // node(id:) of a missing or invisible row is null, not an error.
  nullable: true,
  description: 'One strategy run over one symbol and range.',
  // Owned data: every field needs a reader at least; which owner's rows is the loaders' ownerFilter.
  authScopes: { reader: true },
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, ...ownerFilter(ctx.viewer) }),
  fields: (t) => ({
    status: t.field({ type: BacktestStatusEnum, description: 'Where the run is in its lifecycle.', resolve: (b) => b.status }),
    progress: t.exposeFloat('progress', { description: 'Fraction of bars simulated, 0..1 (updated about once a second while running).' }),
    barsProcessed: t.exposeInt('barsProcessed', { description: 'Bars simulated so far.' }),
    totalBars: t.exposeInt('totalBars', { description: 'Bars in the run (known once it started).' }),
    fromCache: t.exposeBoolean('fromCache', { description: 'Served from an identical earlier run on the same data.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why it FAILED.' }),
    strategy: t.relation('strategy', { description: 'The strategy it ran, as it is now (it may have changed since: strategyKind and parameters are what the run used).' }),
    strategyKind: t.field({ type: StrategyKindEnum, description: 'The strategy kind the run used.', resolve: (b) => b.strategyKind as StrategyKind }),
    parameters: t.field({ type: 'JSON', description: 'The parameters the run used (recorded when it was submitted; metrics belong to these).', resolve: (b) => b.parameters }),
    symbol: t.exposeString('symbol', { description: 'Instrument symbol.' }),
    interval: t.exposeString('interval', { description: 'Bar interval of the run.' }),
    from: t.expose('from', { type: 'DateTime', description: 'Start of the range (inclusive).' }),
    to: t.expose('to', { type: 'DateTime', description: 'End of the range (exclusive).' }),
    queuedAt: t.expose('queuedAt', { type: 'DateTime', description: 'When it was submitted.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true, description: 'When a worker first started it.' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true, description: 'When it ended.' }),
    durationMs: t.exposeInt('durationMs', { nullable: true, description: 'From start to finish.' }),
    metrics: t.field({ type: BacktestMetricsRef, nullable: true, description: 'Set when COMPLETED.', resolve: (b) => (b.metrics as Metrics | null) ?? null }),
    assumptions: t.field({ type: AssumptionsRef, nullable: true, description: 'Set when COMPLETED.', resolve: (b) => (b.assumptions as BacktestAssumptions | null) ?? null }),
    trades: t.connection(
      {
        type: TradeRef,
        description: 'Trades in order (empty until COMPLETED).',
        extensions: pageExtensions(100),
        resolve: async (b, args, ctx) => {
          assertPageSize(args, ctx);
          const result = await ctx.loaders.backtests.result.load(b.id);
          const connection = await resolveOffsetConnection({ args, defaultSize: 100, maxSize: maxPageSize(ctx) }, ({ offset, limit }) =>
            result ? unpackTrades(result.tradeColumns, result.tradeCount, offset, limit) : [],
          );
          return Object.assign(connection, { totalCount: result?.tradeCount ?? 0 });
        },
      },
      {
        name: 'BacktestTradesConnection',
        fields: (c) => ({
          totalCount: c.int({ description: 'Trades of the backtest, across all pages.', resolve: (conn) => (conn as { totalCount: number }).totalCount }),
        }),
      },
    ),
    equityCurve: t.field({
      type: [EquityPointRef],
      description: 'Equity curve, downsampled to maxPoints (2..2000) keeping the first, last, peak and trough points.',
      args: { maxPoints: t.arg.int({ defaultValue: 500, description: 'Most points returned (2..2000).' }) },
      resolve: async (b, args, ctx) => {
        const max = args.maxPoints ?? 500;
        if (!Number.isInteger(max) || max < 2 || max > 2000) throw new ValidationError([{ path: ['maxPoints'], message: 'must be a whole number from 2 to 2000' }]);
        const result = await ctx.loaders.backtests.result.load(b.id);
        if (!result) return [];
        const curve = downsampleEquity(unpackEquity(result.equityColumns), max);
        return Array.from(curve.time, (time, i) => ({ time: new Date(time), equity: curve.equity[i]!, drawdown: curve.drawdown[i]! }));
      },
    }),
    batch: t.relation('batch', { nullable: true, description: 'The batch it belongs to, if any.' }),
  }),
});

interface BatchSummary {
  averageReturn: number | null;
  best: { symbol: string; totalReturn: number } | null;
  worst: { symbol: string; totalReturn: number } | null;
}
const BatchSummaryRef = builder.objectRef<BatchSummary>('BatchSummary').implement({
  description: 'Figures over the completed children of a batch.',
  fields: (t) => ({
    averageReturn: t.exposeFloat('averageReturn', { nullable: true, description: 'Mean total return of the completed children.' }),
    bestSymbol: t.string({ nullable: true, description: 'Symbol of the highest total return.', resolve: (s) => s.best?.symbol ?? null }),
    bestReturn: t.float({ nullable: true, description: 'Highest total return.', resolve: (s) => s.best?.totalReturn ?? null }),
    worstSymbol: t.string({ nullable: true, description: 'Symbol of the lowest total return.', resolve: (s) => s.worst?.symbol ?? null }),
    worstReturn: t.float({ nullable: true, description: 'Lowest total return.', resolve: (s) => s.worst?.totalReturn ?? null }),
  }),
});

builder.prismaNode('BacktestBatch', {
  // node(id:) of a missing or invisible row is null, not an error.
  nullable: true,
  description: 'One strategy over many symbols.',
  // Owned data: every field needs a reader at least; which owner's rows is the loaders' ownerFilter.
  authScopes: { reader: true },
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, ...ownerFilter(ctx.viewer) }),
  fields: (t) => ({
    status: t.field({ type: BacktestStatusEnum, description: 'COMPLETED once every child has ended and at least one completed; FAILED when every child failed; CANCELLED when cancelled.', resolve: (b) => b.status }),
    strategy: t.relation('strategy', { description: 'The strategy every child runs, as it is now (strategyKind and parameters are what the children use).' }),
    strategyKind: t.field({ type: StrategyKindEnum, description: 'The strategy kind every child uses.', resolve: (b) => b.strategyKind as StrategyKind }),
    parameters: t.field({ type: 'JSON', description: 'The parameters every child uses (recorded when the batch was submitted).', resolve: (b) => b.parameters }),
    symbols: t.exposeStringList('symbols', { description: 'Symbols, one child each.' }),
    interval: t.exposeString('interval', { description: 'Bar interval of every child.' }),
    from: t.expose('from', { type: 'DateTime', description: 'Start of the range (inclusive).' }),
    to: t.expose('to', { type: 'DateTime', description: 'End of the range (exclusive).' }),
    total: t.exposeInt('total', { description: 'Children in the batch.' }),
    completed: t.exposeInt('completed', { description: 'Children COMPLETED so far.' }),
    failed: t.exposeInt('failed', { description: 'Children that ended FAILED or CANCELLED so far.' }),
    summary: t.field({ type: BatchSummaryRef, nullable: true, description: 'Set when the batch is COMPLETED.', resolve: (b) => (b.summary as BatchSummary | null) ?? null }),
    dataFetchMs: t.exposeInt('dataFetchMs', { nullable: true, description: 'Time spent loading every child’s candles.' }),
    durationMs: t.exposeInt('durationMs', { nullable: true, description: 'From start to the last child.' }),
    queuedAt: t.expose('queuedAt', { type: 'DateTime', description: 'When it was submitted.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true, description: 'When a worker first started it.' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true, description: 'When the last child ended.' }),
    backtests: t.relatedConnection('backtests', { cursor: 'id', query: { orderBy: { symbol: 'asc' } }, ...pageOptions(100), description: 'Children, by symbol.' }),
  }),
});

const BacktestFilter = builder.inputType('BacktestFilter', {
  description: 'Narrows `backtests`; every given field must match.',
  fields: (t) => ({
    status: t.field({ type: BacktestStatusEnum, description: 'Only backtests in this status.' }),
    symbol: t.string({ description: 'Only backtests of this symbol.' }),
    strategyId: t.id({ description: 'Only backtests of this strategy.' }),
  }),
});

const BacktestBatchFilter = builder.inputType('BacktestBatchFilter', {
  description: 'Narrows `backtestBatches`; every given field must match.',
  fields: (t) => ({
    status: t.field({ type: BacktestStatusEnum, description: 'Only batches in this status.' }),
    strategyId: t.id({ description: 'Only batches of this strategy.' }),
  }),
});

builder.queryFields((t) => ({
  backtest: t.prismaField({
    type: 'Backtest',
    nullable: true,
    description: 'One of your backtests; null when unknown or not yours.',
    args: { id: t.arg.id({ required: true, description: 'Backtest id (global or raw).' }) },
    authScopes: { reader: true },
    resolve: (query, _root, args, ctx) => ctx.services.backtests.findBacktest(ctx.viewer, parseGlobalId(args.id, 'Backtest'), query),
  }),
  backtests: t.prismaConnection({
    type: 'Backtest',
    cursor: 'id',
    description: 'Your backtests, newest first.',
    args: { filter: t.arg({ type: BacktestFilter, description: 'Only backtests matching this.' }) },
    authScopes: { reader: true },
    ...pageOptions(50),
    resolve: (query, _root, args, ctx) => {
      assertPageSize(args, ctx);
      const filter = args.filter ?? {};
      return ctx.services.backtests.listBacktests(
        ctx.viewer,
        { ...filter, strategyId: filter.strategyId ? parseGlobalId(filter.strategyId, 'Strategy') : null },
        query,
      );
    },
  }),
  backtestBatches: t.prismaConnection({
    type: 'BacktestBatch',
    cursor: 'id',
    description: 'Your batches, newest first.',
    args: { filter: t.arg({ type: BacktestBatchFilter, description: 'Only batches matching this.' }) },
    authScopes: { reader: true },
    ...pageOptions(50),
    resolve: (query, _root, args, ctx) => {
      assertPageSize(args, ctx);
      const filter = args.filter ?? {};
      return ctx.services.backtests.listBatches(
        ctx.viewer,
        { status: filter.status ?? null, strategyId: filter.strategyId ? parseGlobalId(filter.strategyId, 'Strategy') : null },
        query,
      );
    },
  }),
  backtestBatch: t.prismaField({
    type: 'BacktestBatch',
    nullable: true,
    description: 'One of your batches; null when unknown or not yours.',
    args: { id: t.arg.id({ required: true, description: 'Batch id (global or raw).' }) },
    authScopes: { reader: true },
    resolve: (query, _root, args, ctx) => ctx.services.backtests.findBatch(ctx.viewer, parseGlobalId(args.id, 'BacktestBatch'), query),
  }),
}));

/** Costs, sizing and fill timing: the same fields (and defaults) for single runs and batches. */
const runConfigFields = (t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0]) => ({
  strategyId: t.id({ required: true, description: 'The strategy to run (global or raw id).' }),
  interval: t.string({ required: true, description: 'Bar interval of the run (1m … 1M), at least the data’s base interval.' }),
  from: t.field({ type: 'DateTime', required: true, description: 'Inclusive.' }),
  to: t.field({ type: 'DateTime', required: true, description: 'Exclusive.' }),
  initialCapital: t.float({ defaultValue: 10000, description: 'Starting cash, in quote currency (> 0).' }),
  commission: t.float({ defaultValue: 0, description: 'Fraction of notional per fill.' }),
  slippage: t.float({ defaultValue: 0, description: 'Fraction moving each fill price against the trade.' }),
  positionSize: t.float({ defaultValue: 1, description: 'Fraction of equity per entry (0, 1].' }),
  fillTiming: t.field({ type: FillTimingEnum, defaultValue: 'NEXT_OPEN', description: 'When signals fill.' }),
  allowShort: t.boolean({ defaultValue: false, description: 'Let strategies with a short side go short.' }),
  lotSize: t.float({ description: 'Round quantities down to whole lots.' }),
  periodsPerYear: t.float({ description: 'Bars per year for annualisation (observed from the data when omitted).' }),
  riskFreeRate: t.float({ defaultValue: 0, description: 'Annual risk-free rate for Sharpe and Sortino (a fraction).' }),
});

const RunBacktestInput = builder.inputType('RunBacktestInput', {
  description: 'One strategy over one symbol and range [from, to).',
  fields: (t) => ({ symbol: t.string({ required: true, description: 'Instrument symbol.' }), ...runConfigFields(t) }),
});

const RunBacktestBatchInput = builder.inputType('RunBacktestBatchInput', {
  description: 'One strategy over many symbols (at most BACKTEST_MAX_BATCH_SYMBOLS).',
  fields: (t) => ({ symbols: t.stringList({ required: true, description: 'Symbols, each once.' }), ...runConfigFields(t) }),
});

builder.mutationFields((t) => ({
  runBacktest: t.prismaField({
    type: 'Backtest',
    description: 'Queues a backtest (trader) and returns it at once: QUEUED, or COMPLETED with fromCache when an identical run on the same data exists.',
    errors: { types: [ValidationError, NotFoundError, NoDataError, QueueUnavailableError, RateLimitedError, ForbiddenError], directResult: true, union: { name: 'RunBacktestResult', description: 'The queued (or cached) Backtest, or why nothing was queued.' } },
    args: { input: t.arg({ type: RunBacktestInput, required: true, description: 'What to run, and how.' }) },
    authScopes: { trader: true },
    resolve: (_query, _root, { input }, ctx) => ctx.services.backtests.submitBacktest(ctx.viewer, { ...input, strategyId: parseGlobalId(input.strategyId, 'Strategy') }),
  }),
  runBacktestBatch: t.prismaField({
    type: 'BacktestBatch',
    description: 'Queues one strategy over many symbols (trader); children run in parallel.',
    errors: { types: [ValidationError, NotFoundError, QueueUnavailableError, RateLimitedError, ForbiddenError], directResult: true, union: { name: 'RunBacktestBatchResult', description: 'The queued BacktestBatch, or why nothing was queued.' } },
    args: { input: t.arg({ type: RunBacktestBatchInput, required: true, description: 'What to run, over which symbols, and how.' }) },
    authScopes: { trader: true },
    resolve: (_query, _root, { input }, ctx) => ctx.services.backtests.submitBatch(ctx.viewer, { ...input, strategyId: parseGlobalId(input.strategyId, 'Strategy') }),
  }),
  cancelBacktest: t.prismaField({
    type: 'Backtest',
    description: 'QUEUED → CANCELLED at once; RUNNING → CANCELLED within a second; finished → BacktestFinishedError.',
    errors: { types: [NotFoundError, BacktestFinishedError, ForbiddenError], directResult: true, union: { name: 'CancelBacktestResult', description: 'The Backtest after the cancel, or why it could not be cancelled.' } },
    args: { id: t.arg.id({ required: true, description: 'Backtest id (global or raw).' }) },
    authScopes: { trader: true },
    resolve: (_query, _root, args, ctx) => ctx.services.backtestRuns.cancelBacktest(ctx.viewer, parseGlobalId(args.id, 'Backtest')),
  }),
}));
