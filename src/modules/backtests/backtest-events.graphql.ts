import { builder } from '../../graphql/builder.js';
import { globalId, parseGlobalId } from '../../graphql/ids.js';
import { BacktestNode, BacktestStatusEnum } from './backtests.graphql.js';
import type { BacktestProgressEvent, BatchProgressEvent } from './backtests.events.js';

/**
 * Subscriptions: thin adapters over BacktestEventsService's streams, which authorise, send
 * the current state first and then follow the events BacktestRunService publishes.
 */
const BacktestProgressRef = builder.objectRef<BacktestProgressEvent>('BacktestProgress').implement({
  description: 'A progress event; the first one describes the current state.',
  fields: (t) => ({
    backtestId: t.id({ description: 'The backtest’s global id (as Backtest.id).', resolve: (e) => globalId('Backtest', e.backtestId) }),
    status: t.field({ type: BacktestStatusEnum, description: 'Status as of this event.', resolve: (e) => e.status }),
    progress: t.exposeFloat('progress', { description: 'Fraction of bars simulated, 0..1.' }),
    barsProcessed: t.exposeInt('barsProcessed', { description: 'Bars simulated so far.' }),
    totalBars: t.exposeInt('totalBars', { description: 'Bars in the run (0 until it starts).' }),
    equity: t.exposeFloat('equity', { nullable: true, description: 'Equity so far.' }),
    etaSeconds: t.exposeFloat('etaSeconds', { nullable: true, description: 'Estimated seconds remaining.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why it FAILED.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When the event was produced.' }),
  }),
});

const BatchProgressRef = builder.objectRef<BatchProgressEvent>('BatchProgress').implement({
  description: 'A batch progress event: one per finished child; the first describes the current state.',
  fields: (t) => ({
    batchId: t.id({ description: 'The batch’s global id (as BacktestBatch.id).', resolve: (e) => globalId('BacktestBatch', e.batchId) }),
    status: t.field({ type: BacktestStatusEnum, description: 'Status of the batch as of this event.', resolve: (e) => e.status }),
    completed: t.exposeInt('completed', { description: 'Children COMPLETED so far.' }),
    failed: t.exposeInt('failed', { description: 'Children FAILED or CANCELLED so far.' }),
    total: t.exposeInt('total', { description: 'Children in the batch.' }),
    backtest: t.field({
      type: BacktestNode,
      nullable: true,
      description: 'The child that just finished; null on state events.',
      resolve: (e, _args, ctx) => ctx.services.backtestEvents.findChildOfEvent(e),
    }),
  }),
});

builder.subscriptionType({ description: 'Live updates (SSE or graphql-ws on /graphql). Each ends with UNAUTHENTICATED if its API key is revoked while it is open.' });
builder.subscriptionFields((t) => ({
  backtestProgress: t.field({
    type: BacktestProgressRef,
    description: 'Current state first, then progress (≤ 5 events/s) until a terminal status.',
    args: { id: t.arg.id({ required: true, description: 'Backtest id (global or raw).' }) },
    authScopes: { reader: true },
    subscribe: (_root, args, ctx) => ctx.services.accounts.whileKeyValid(ctx.viewer, (signal) => ctx.services.backtestEvents.watchProgress(ctx.viewer, parseGlobalId(args.id, 'Backtest'), signal)),
    resolve: (event) => event,
  }),
  backtestCompleted: t.field({
    type: BacktestNode,
    description: 'Exactly one event: the finished Backtest (at once if it already finished).',
    args: { id: t.arg.id({ required: true, description: 'Backtest id (global or raw).' }) },
    authScopes: { reader: true },
    subscribe: (_root, args, ctx) => ctx.services.accounts.whileKeyValid(ctx.viewer, (signal) => ctx.services.backtestEvents.watchCompletion(ctx.viewer, parseGlobalId(args.id, 'Backtest'), signal)),
    resolve: (backtest) => backtest,
  }),
  batchProgress: t.field({
    type: BatchProgressRef,
    description: 'Current state first, then one event per finished child, ending with the batch’s terminal status.',
    args: { id: t.arg.id({ required: true, description: 'Batch id (global or raw).' }) },
    authScopes: { reader: true },
    subscribe: (_root, args, ctx) => ctx.services.accounts.whileKeyValid(ctx.viewer, (signal) => ctx.services.backtestEvents.watchBatch(ctx.viewer, parseGlobalId(args.id, 'BacktestBatch'), signal)),
    resolve: (event) => event,
  }),
}));
