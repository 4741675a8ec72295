import { metricCatalog, strategySpecs, type MetricInfo, type MetricUnit, type ParameterSpec, type StrategyKind, type StrategySpec } from '../../engine/index.js';
import type { Strategy } from '../../generated/prisma/client.js';
import { builder } from '../../graphql/builder.js';
import { globalId, parseGlobalId } from '../../graphql/ids.js';
import { assertPageSize, pageOptions } from '../../graphql/pagination.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { ownerFilter } from '../accounts/access.js';

export const StrategyKindEnum = builder.enumType('StrategyKind', {
  description: 'Built-in strategy kinds; `strategyKinds` describes each with its parameters.',
  values: Object.fromEntries(strategySpecs.map((s) => [s.kind, { value: s.kind, description: s.name }])) as Record<
    StrategyKind,
    { value: StrategyKind; description: string }
  >,
});

const ParameterTypeEnum = builder.enumType('ParameterType', {
  description: 'Type of a strategy parameter.',
  values: { INT: { description: 'A whole number.' }, FLOAT: { description: 'Any finite number.' } } as const,
});

const ParameterSpecRef = builder.objectRef<ParameterSpec>('ParameterSpec').implement({
  description: 'One parameter of a strategy kind: enough to render a form field.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Key in `parameters`.' }),
    type: t.field({ type: ParameterTypeEnum, resolve: (p) => p.type, description: 'INT or FLOAT.' }),
    default: t.exposeFloat('default', { description: 'Used when the parameter is omitted.' }),
    min: t.exposeFloat('min', { description: 'Smallest accepted value (inclusive).' }),
    max: t.exposeFloat('max', { description: 'Largest accepted value (inclusive).' }),
    description: t.exposeString('description', { description: 'What the parameter does, with its unit.' }),
  }),
});

const StrategyKindInfo = builder.objectRef<StrategySpec>('StrategyKindInfo').implement({
  description: 'A strategy kind with its parameter specs and the rules between them.',
  fields: (t) => ({
    kind: t.field({ type: StrategyKindEnum, resolve: (s) => s.kind, description: 'The kind.' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    description: t.exposeString('description', { description: 'Entry and exit rules in words.' }),
    canShort: t.exposeBoolean('canShort', { description: 'Has a short side (used when a run allows shorting).' }),
    constraints: t.exposeStringList('constraints', { description: 'Rules between parameters, e.g. "fast < slow".' }),
    parameters: t.field({ type: [ParameterSpecRef], resolve: (s) => [...s.parameters], description: 'Parameters in display order.' }),
  }),
});

const METRIC_UNIT_DESCRIPTIONS: Record<MetricUnit, string> = {
  FRACTION: 'A fraction (0.05 = 5 %).',
  RATIO: 'A ratio without unit (e.g. Sharpe).',
  CURRENCY: 'An amount in the quote currency.',
  BARS: 'A number of bars.',
  COUNT: 'A count.',
};

const MetricUnitEnum = builder.enumType('MetricUnit', {
  description: 'Unit of a metric value.',
  values: Object.fromEntries([...new Set(metricCatalog.map((m) => m.unit))].map((u) => [u, { value: u, description: METRIC_UNIT_DESCRIPTIONS[u] }])) as Record<string, { value: string; description: string }>,
});

const MetricInfoRef = builder.objectRef<MetricInfo>('MetricInfo').implement({
  description: 'Definition of one backtest metric.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Field name in BacktestMetrics.' }),
    label: t.exposeString('label', { description: 'Display label.' }),
    unit: t.field({ type: MetricUnitEnum, resolve: (m) => m.unit, description: 'Unit (fractions, not percent).' }),
    higherIsBetter: t.exposeBoolean('higherIsBetter', { nullable: true, description: 'true/false, or null when neither (context-dependent).' }),
    isInteger: t.exposeBoolean('isInteger', { description: 'Whole-number metric.' }),
    formula: t.exposeString('formula', { description: 'How it is computed.' }),
    description: t.exposeString('description', { description: 'What it means.' }),
    nullWhen: t.exposeString('nullWhen', { nullable: true, description: 'When the value is null (undefined), if ever.' }),
  }),
});

const StrategyNode = builder.prismaNode('Strategy', {
  // node(id:) of a missing or invisible row is null, not an error.
  nullable: true,
  description: 'A named strategy kind with parameters, owned by an API key owner.',
  // Owned data: every field needs a reader at least; which owner's rows is the loaders' ownerFilter.
  authScopes: { reader: true },
  id: { field: 'id' },
  // node(id:) only finds the caller's own strategies (admins: any).
  findUnique: (id, ctx) => ({ id, ...ownerFilter(ctx.viewer) }),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    kind: t.field({ type: StrategyKindEnum, resolve: (s) => s.kind as StrategyKind, description: 'Strategy kind.' }),
    parameters: t.field({ type: 'JSON', resolve: (s) => s.parameters, description: 'Every parameter, defaults filled in.' }),
    description: t.exposeString('description', { nullable: true, description: 'Free text.' }),
    owner: t.exposeString('owner', { description: 'Owner of the strategy.' }),
    archived: t.boolean({ resolve: (s) => s.archivedAt !== null, description: 'Archived strategies keep their backtests but cannot be changed or run.' }),
    archivedAt: t.expose('archivedAt', { type: 'DateTime', nullable: true, description: 'When it was archived.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Creation time.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change.' }),
  }),
});

builder.queryFields((t) => ({
  strategyKinds: t.field({
    type: [StrategyKindInfo],
    description: 'Every strategy kind with its parameter specs (name, type, default, min, max, description).',
    authScopes: { reader: true },
    resolve: () => [...strategySpecs],
  }),
  metricCatalog: t.field({
    type: [MetricInfoRef],
    description: 'Every backtest metric with its unit, direction and formula.',
    authScopes: { reader: true },
    resolve: () => [...metricCatalog],
  }),
  strategies: t.prismaConnection({
    type: 'Strategy',
    cursor: 'id',
    description: 'Your strategies, newest first (admins: everyone’s).',
    args: { includeArchived: t.arg.boolean({ defaultValue: false, description: 'Include archived strategies.' }) },
    authScopes: { reader: true },
    ...pageOptions(50),
    resolve: (query, _root, args, ctx) => {
      assertPageSize(args, ctx);
      return ctx.services.strategies.listStrategies(ctx.viewer, { includeArchived: args.includeArchived ?? false }, query);
    },
  }),
  strategy: t.field({
    type: StrategyNode,
    nullable: true,
    description: 'One of your strategies; null when it does not exist or is not yours.',
    args: { id: t.arg.id({ required: true, description: 'Strategy id (global or raw).' }) },
    authScopes: { reader: true },
    resolve: (_root, args, ctx) => ctx.services.strategies.findStrategy(ctx.viewer, parseGlobalId(args.id, 'Strategy')),
  }),
}));

const CreateStrategyInput = builder.inputType('CreateStrategyInput', {
  description: 'A new strategy. Omitted parameters take their defaults.',
  fields: (t) => ({
    name: t.string({ required: true, description: '1-100 characters.' }),
    kind: t.field({ type: StrategyKindEnum, required: true, description: 'Strategy kind (fixed for the strategy’s life).' }),
    parameters: t.field({ type: 'JSON', description: 'Object of parameter name → number (see strategyKinds).' }),
    description: t.string({ description: 'Free text, at most 2000 characters.' }),
  }),
});

const UpdateStrategyInput = builder.inputType('UpdateStrategyInput', {
  description: 'Changes to a strategy; omitted fields stay as they are. The kind cannot change.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The strategy to change (global or raw id).' }),
    name: t.string({ description: 'New name, 1-100 characters.' }),
    parameters: t.field({ type: 'JSON', description: 'Complete parameters (omitted ones take defaults).' }),
    description: t.string({ description: 'New free text (null clears it), at most 2000 characters.' }),
  }),
});

const DeleteStrategyPayload = builder.objectRef<{ id: string; archived: boolean; strategy: Strategy | null }>('DeleteStrategyPayload').implement({
  description: 'Outcome of deleteStrategy.',
  fields: (t) => ({
    id: t.id({ description: 'Global id of the strategy (as Strategy.id).', resolve: (p) => globalId('Strategy', p.id) }),
    archived: t.exposeBoolean('archived', { description: 'true: it had backtests and was archived instead of deleted.' }),
    strategy: t.field({ type: StrategyNode, nullable: true, resolve: (p) => p.strategy, description: 'The archived strategy; null when deleted.' }),
  }),
});

builder.mutationFields((t) => ({
  createStrategy: t.field({
    type: StrategyNode,
    description: 'Creates a strategy owned by you (trader).',
    errors: { types: [ValidationError, ForbiddenError], directResult: true, union: { name: 'CreateStrategyResult', description: 'The new Strategy, or why it was not created.' } },
    args: { input: t.arg({ type: CreateStrategyInput, required: true, description: 'Name, kind and parameters.' }) },
    authScopes: { trader: true },
    resolve: (_root, { input }, ctx) => ctx.services.strategies.createStrategy(ctx.viewer, input),
  }),
  updateStrategy: t.field({
    type: StrategyNode,
    description: 'Changes one of your strategies (trader).',
    errors: { types: [ValidationError, NotFoundError, ForbiddenError], directResult: true, union: { name: 'UpdateStrategyResult', description: 'The changed Strategy, or why it was not changed.' } },
    args: { input: t.arg({ type: UpdateStrategyInput, required: true, description: 'The strategy and what changes.' }) },
    authScopes: { trader: true },
    resolve: (_root, { input }, ctx) => ctx.services.strategies.updateStrategy(ctx.viewer, { ...input, id: parseGlobalId(input.id, 'Strategy') }),
  }),
  deleteStrategy: t.field({
    type: DeleteStrategyPayload,
    description: 'Deletes one of your strategies, or archives it when it has backtests (trader).',
    errors: { types: [NotFoundError, ForbiddenError], directResult: true, union: { name: 'DeleteStrategyResult', description: 'What happened to the Strategy, or why nothing did.' } },
    args: { id: t.arg.id({ required: true, description: 'The strategy (global or raw id).' }) },
    authScopes: { trader: true },
    resolve: (_root, args, ctx) => ctx.services.strategies.deleteStrategy(ctx.viewer, parseGlobalId(args.id, 'Strategy'), new Date()),
  }),
}));
