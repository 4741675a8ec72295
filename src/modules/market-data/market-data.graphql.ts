import { resolveArrayConnection } from '@pothos/plugin-relay';
import { builder } from '../../graphql/builder.js';
import { assertPageSize, maxPageSize, pageExtensions, pageOptions } from '../../graphql/pagination.js';
import { ForbiddenError, ValidationError } from '../../lib/errors.js';
import { INTERVAL_NAMES } from '../../lib/intervals.js';
import { allocateCandles, toCandleRows, type CandleRow } from './candle-columns.js';
import type { MarketSummaryRow } from './candle.store.js';
import type { Coverage, Gap } from './coverage.js';
import type { CandleSeries, IngestResult } from './market-data.service.js';

const INTERVAL_LIST = INTERVAL_NAMES.join(' ');

const CandleRef = builder.objectRef<CandleRow>('Candle').implement({
  description: 'One OHLCV bar. `time` is the start of the bar (UTC).',
  fields: (t) => ({
    time: t.expose('time', { type: 'DateTime', description: 'Start of the bar (inclusive), UTC.' }),
    open: t.exposeFloat('open', { description: 'First trade price of the bar.' }),
    high: t.exposeFloat('high', { description: 'Highest price of the bar.' }),
    low: t.exposeFloat('low', { description: 'Lowest price of the bar.' }),
    close: t.exposeFloat('close', { description: 'Last trade price of the bar.' }),
    volume: t.exposeFloat('volume', { description: 'Traded volume during the bar.' }),
    partial: t.exposeBoolean('partial', {
      description:
        'The range asked for cuts this bar’s interval (the first bar when `from` is not on the interval’s grid, the last when `to` is not): it holds only the part inside the range. Backtests never use such bars.',
    }),
  }),
});

const CandleSeriesRef = builder.objectRef<CandleSeries>('CandleSeries').implement({
  description: 'Candles of one instrument at one interval.',
  fields: (t) => ({
    symbol: t.exposeString('symbol', { description: 'Instrument symbol.' }),
    interval: t.exposeString('interval', {
      description: 'Effective interval of the candles: the requested one, or wider when maxPoints asked for fewer points.',
    }),
    source: t.exposeString('source', {
      description: 'Relation that served the read: raw (stored candles), candle_1h or candle_1d (aggregates).',
    }),
    candles: t.field({ type: [CandleRef], description: 'Oldest first.', resolve: (s) => toCandleRows(s.candles, s.range) }),
  }),
});

const MarketSummaryRef = builder.objectRef<MarketSummaryRow>('MarketSummary').implement({
  description: 'Dashboard figures of one instrument, as of its latest candle. Changes are fractions (0.05 = +5 %).',
  fields: (t) => ({
    symbol: t.exposeString('symbol', { description: 'Instrument symbol.' }),
    name: t.exposeString('name', { description: 'Instrument name.' }),
    asOf: t.expose('asOf', { type: 'DateTime', description: 'Time of the latest candle these figures describe.' }),
    lastPrice: t.exposeFloat('lastPrice', { description: 'Close of the latest candle.' }),
    change24h: t.exposeFloat('change24h', { nullable: true, description: 'lastPrice / close 24 h earlier − 1; null without that much history.' }),
    change7d: t.exposeFloat('change7d', { nullable: true, description: 'lastPrice / close 7 days earlier − 1.' }),
    change30d: t.exposeFloat('change30d', { nullable: true, description: 'lastPrice / close 30 days earlier − 1.' }),
    high24h: t.exposeFloat('high24h', { description: 'Highest high over the last 24 h of data.' }),
    low24h: t.exposeFloat('low24h', { description: 'Lowest low over the last 24 h of data.' }),
    volume24h: t.exposeFloat('volume24h', { description: 'Volume over the last 24 h of data.' }),
    allTimeHigh: t.exposeFloat('allTimeHigh', { description: 'Highest high ever stored.' }),
    allTimeLow: t.exposeFloat('allTimeLow', { description: 'Lowest low ever stored.' }),
    candleCount: t.exposeInt('candleCount', { description: 'Number of stored candles.' }),
    firstTime: t.expose('firstTime', { type: 'DateTime', description: 'Time of the first stored candle.' }),
    sparkline: t.floatList({
      description: 'Closes over the 7 days up to asOf, oldest first: the last close of each 6-hour UTC slot (00, 06, 12, 18 h) that has data, so at most 29 points, ending with lastPrice (batched across instruments).',
      resolve: (s, _args, ctx) => ctx.loaders.marketData.sparkline.load(s.instrumentId),
    }),
  }),
});

const GapRef = builder.objectRef<Gap>('Gap').implement({
  description: 'A hole in a series: bars missing between two stored bars.',
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime', description: 'First missing bar (inclusive).' }),
    to: t.expose('to', { type: 'DateTime', description: 'Next stored bar (exclusive end of the hole).' }),
    missingBars: t.exposeInt('missingBars', { description: 'Number of missing bars.' }),
  }),
});

const CoverageRef = builder.objectRef<Coverage>('Coverage').implement({
  description:
    'What a series holds: a bar is expected at every base-interval step (24/7) between the first and last bar, so market closures (weekends of a daily stock series) count as gaps; filter them with gaps(minMissing:).',
  fields: (t) => ({
    baseInterval: t.exposeString('baseInterval', { description: 'Step the series is stored at.' }),
    firstTime: t.expose('firstTime', { type: 'DateTime', nullable: true, description: 'First stored bar.' }),
    lastTime: t.expose('lastTime', { type: 'DateTime', nullable: true, description: 'Last stored bar.' }),
    expectedBars: t.exposeInt('expectedBars', { description: 'Bars a continuous series would have, first and last included.' }),
    presentBars: t.exposeInt('presentBars', { description: 'Bars stored.' }),
    missingBars: t.exposeInt('missingBars', { description: 'expectedBars − presentBars.' }),
    gaps: t.connection({
      type: GapRef,
      description: 'Holes, oldest first.',
      extensions: pageExtensions(100),
      args: { minMissing: t.arg.int({ description: 'Only holes of at least this many missing bars.', defaultValue: 1 }) },
      resolve: (coverage, args, ctx) => {
        const min = args.minMissing ?? 1;
        if (min < 1) throw new ValidationError([{ path: ['minMissing'], message: 'must be at least 1' }]);
        assertPageSize(args, ctx);
        const gaps = coverage.gaps.filter((g) => g.missingBars >= min);
        const connection = resolveArrayConnection(
          { args: { ...args, first: args.first ?? Math.min(100, maxPageSize(ctx)) } },
          gaps,
        );
        return Object.assign(connection!, { totalCount: gaps.length });
      },
    }, {
      name: 'GapConnection',
      fields: (c) => ({
        totalCount: c.int({
          description: 'Holes matching minMissing, across all pages.',
          resolve: (conn) => (conn as unknown as { totalCount: number }).totalCount,
        }),
      }),
    }),
  }),
});

builder.prismaNode('Instrument', {
  // node(id:) of a missing or invisible row is null, not an error.
  nullable: true,
  description: 'A tradable symbol and its stored candles.',
  id: { field: 'id' },
  fields: (t) => ({
    symbol: t.exposeString('symbol', { description: 'Unique symbol, e.g. BTCUSDT.' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    baseInterval: t.exposeString('baseInterval', { description: `Resolution candles are stored at (one of: ${INTERVAL_LIST}).` }),
    dataVersion: t.string({
      description: 'Changes on every ingest that changes data; results computed from older versions are stale.',
      resolve: (i) => i.dataVersion.toString(),
    }),
    aggregatesFresh: t.boolean({
      description:
        'Whether the hourly and daily aggregates reflect the current data version. With TimescaleDB they are refreshed in the background, a few seconds after ingests pause; until then candles of this instrument are computed from its raw bars (same values, slower).',
      select: { dataVersion: true, aggregatesVersion: true },
      resolve: (i) => i.aggregatesVersion === i.dataVersion,
    }),
    aggregatesDataVersion: t.string({
      description: 'The data version the hourly and daily aggregates reflect (equal to dataVersion when fresh).',
      select: { aggregatesVersion: true },
      resolve: (i) => i.aggregatesVersion.toString(),
    }),
    aggregatesRefreshedAt: t.expose('aggregatesRefreshedAt', { type: 'DateTime', nullable: true, description: 'When the aggregates last caught up with the data.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'First ingest.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last ingest that changed data.' }),
    latestCandle: t.field({
      type: CandleRef,
      nullable: true,
      description: 'Most recent stored candle (batched across instruments).',
      resolve: (i, _args, ctx) => ctx.loaders.marketData.latestCandle.load(i.id),
    }),
    summary: t.field({
      type: MarketSummaryRef,
      nullable: true,
      description: 'Dashboard figures (batched across instruments); null until candles are ingested.',
      resolve: (i, _args, ctx) => ctx.loaders.marketData.summary.load(i.id),
    }),
    coverage: t.field({
      type: CoverageRef,
      description: 'First/last bar, expected vs present bars, and gaps (batched across instruments).',
      resolve: (i, _args, ctx) => ctx.loaders.marketData.coverage.load({ id: i.id, baseInterval: i.baseInterval }),
    }),
  }),
});

builder.queryFields((t) => ({
  instruments: t.prismaConnection({
    type: 'Instrument',
    cursor: 'symbol',
    description: 'Instruments by symbol. `search` matches a prefix of the symbol or of the name (case-insensitive).',
    args: { search: t.arg.string({ description: 'Prefix of the symbol or name.' }) },
    authScopes: { reader: true },
    ...pageOptions(50),
    resolve: (query, _root, args, ctx) => {
      assertPageSize(args, ctx);
      return ctx.services.marketData.listInstruments(args.search, query);
    },
  }),
  instrument: t.prismaField({
    type: 'Instrument',
    nullable: true,
    description: 'One instrument by symbol; null when unknown.',
    args: { symbol: t.arg.string({ required: true, description: 'Instrument symbol, e.g. BTCUSDT.' }) },
    authScopes: { reader: true },
    resolve: (query, _root, args, ctx) => ctx.services.marketData.findInstrument(args.symbol, query),
  }),
  candles: t.field({
    type: CandleSeriesRef,
    description: `Candles of one instrument in [from, to) at any interval (${INTERVAL_LIST}), read from the coarsest stored or aggregated resolution that divides it. maxPoints widens the interval until the series fits; the response is capped (MARKET_CANDLES_MAX_POINTS). A range with no data gives an empty list.`,
    args: {
      symbol: t.arg.string({ required: true, description: 'Instrument symbol.' }),
      interval: t.arg.string({ required: true, description: `One of: ${INTERVAL_LIST}.` }),
      from: t.arg({ type: 'DateTime', required: true, description: 'Inclusive.' }),
      to: t.arg({ type: 'DateTime', required: true, description: 'Exclusive.' }),
      maxPoints: t.arg.int({ description: 'At most this many candles: the interval is widened to fit.' }),
    },
    authScopes: { reader: true },
    resolve: (_root, args, ctx) => ctx.services.marketData.getCandleSeries(args),
  }),
  marketSummary: t.field({
    type: [MarketSummaryRef],
    description: 'Dashboard figures of the given symbols (all instruments when omitted), by symbol. Unknown symbols are left out.',
    args: { symbols: t.arg.stringList({ description: 'Symbols to include (at most 1000).' }) },
    authScopes: { reader: true },
    resolve: (_root, args, ctx) => ctx.services.marketData.listMarketSummaries(args.symbols ?? null),
  }),
}));

const MoverWindow = builder.enumType('MoverWindow', {
  description: 'Window of a price change.',
  values: {
    H24: { value: 'change_24h', description: 'Last 24 hours.' },
    D7: { value: 'change_7d', description: 'Last 7 days.' },
    D30: { value: 'change_30d', description: 'Last 30 days.' },
  } as const,
});
const MoverDirection = builder.enumType('MoverDirection', {
  description: 'Largest rises or largest falls.',
  values: {
    GAINERS: { value: 'DESC', description: 'Largest rises first.' },
    LOSERS: { value: 'ASC', description: 'Largest falls first.' },
  } as const,
});

builder.queryField('topMovers', (t) =>
  t.field({
    type: [MarketSummaryRef],
    description: 'Instruments with the largest change over a window (instruments without that much history are left out).',
    args: {
      window: t.arg({ type: MoverWindow, defaultValue: 'change_24h', description: 'Window the change is measured over.' }),
      direction: t.arg({ type: MoverDirection, defaultValue: 'DESC', description: 'Largest rises or largest falls.' }),
      limit: t.arg.int({ defaultValue: 10, description: '1 to 100.' }),
    },
    authScopes: { reader: true },
    resolve: (_root, args, ctx) => ctx.services.marketData.listTopMovers(args.window ?? 'change_24h', args.direction ?? 'DESC', args.limit ?? 10),
  }),
);

const CandleInput = builder.inputType('CandleInput', {
  description: 'One candle to store; time must be on the base interval grid.',
  fields: (t) => ({
    time: t.field({ type: 'DateTime', required: true, description: 'Start of the bar, UTC.' }),
    open: t.float({ required: true, description: 'First trade price of the bar (> 0).' }),
    high: t.float({ required: true, description: 'Highest price of the bar (≥ max(open, close)).' }),
    low: t.float({ required: true, description: 'Lowest price of the bar (≤ min(open, close)).' }),
    close: t.float({ required: true, description: 'Last trade price of the bar (> 0).' }),
    volume: t.float({ required: true, description: 'Traded volume during the bar (≥ 0).' }),
  }),
});

const IngestCandlesInput = builder.inputType('IngestCandlesInput', {
  description: 'Candles of one instrument. The instrument is created on first ingest.',
  fields: (t) => ({
    symbol: t.string({ required: true, description: 'A–Z, 0–9 and . - _ / :, at most 32 characters.' }),
    baseInterval: t.string({ required: true, description: 'Resolution of these candles; must match the instrument’s.' }),
    name: t.string({ description: 'Display name for a new instrument (defaults to the symbol).' }),
    candles: t.field({ type: [CandleInput], required: true, description: 'Up to MARKET_INGEST_MAX_CANDLES (50,000) candles.' }),
  }),
});

const IngestCandlesPayload = builder.objectRef<IngestResult>('IngestCandlesPayload').implement({
  description: 'What an ingest changed.',
  fields: (t) => ({
    instrument: t.prismaField({
      type: 'Instrument',
      description: 'The instrument after the ingest.',
      resolve: (query, r, _args, ctx) => ctx.services.marketData.getInstrumentById(r.instrumentId, query),
    }),
    created: t.exposeBoolean('created', { description: 'True when this ingest created the instrument.' }),
    received: t.exposeInt('received', { description: 'Candles in the request.' }),
    inserted: t.exposeInt('inserted', { description: 'New candles stored.' }),
    updated: t.exposeInt('updated', { description: 'Stored candles whose values changed.' }),
    unchanged: t.exposeInt('unchanged', { description: 'Candles identical to the stored ones.' }),
    dataVersion: t.exposeString('dataVersion', { description: 'Data version after the ingest.' }),
    firstTime: t.expose('firstTime', { type: 'DateTime', nullable: true, description: 'Earliest candle of the request.' }),
    lastTime: t.expose('lastTime', { type: 'DateTime', nullable: true, description: 'Latest candle of the request.' }),
    durationMs: t.exposeInt('durationMs', { description: 'Server time spent, including the summary (TimescaleDB aggregates are refreshed afterwards, in the background).' }),
  }),
});

builder.mutationField('ingestCandles', (t) =>
  t.field({
    type: IngestCandlesPayload,
    description: 'Validated, idempotent upsert of candles (admin). Rejected requests change nothing and list every problem by row.',
    errors: { types: [ValidationError, ForbiddenError], directResult: true, union: { name: 'IngestCandlesResult', description: 'What the ingest changed, or why nothing was written.' } },
    args: { input: t.arg({ type: IngestCandlesInput, required: true, description: 'The instrument and its candles.' }) },
    authScopes: { admin: true },
    resolve: (_root, { input }, ctx) => {
      const columns = allocateCandles(input.candles.length);
      input.candles.forEach((c, i) => {
        columns.time[i] = c.time.getTime();
        columns.open[i] = c.open;
        columns.high[i] = c.high;
        columns.low[i] = c.low;
        columns.close[i] = c.close;
        columns.volume[i] = c.volume;
      });
      return ctx.services.marketData.ingestCandles({ symbol: input.symbol, baseInterval: input.baseInterval, name: input.name, candles: columns });
    },
  }),
);

