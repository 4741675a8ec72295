import { useQuery } from '@urql/preact';
import {
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { CandlesDocument, InstrumentCoverageDocument } from '../../examples/generated/graphql';
import { describeError } from './api';
import type { TradeMark } from './backtest-run';
import { shadeGaps } from './gap-shading';
import type { InstrumentChoice } from './instrument-list';

const DAY_MS = 86_400_000;
/** How much history the chart opens on, before its latest candle. */
const WINDOW_DAYS = 180;
/** Width of one drawn candle, in CSS pixels: the chart asks for as many as fit. */
const PIXELS_PER_CANDLE = 6;

/** The range the chart opens on: WINDOW_DAYS up to the instrument's latest candle, at its base interval. */
export function chartWindow(instrument: InstrumentChoice) {
  const to = instrument.latestTime ? new Date(instrument.latestTime).getTime() + DAY_MS : Date.now();
  return { symbol: instrument.symbol, interval: instrument.baseInterval, from: new Date(to - WINDOW_DAYS * DAY_MS).toISOString(), to: new Date(to).toISOString() };
}

/** Zooming or panning further than this share of the shown span asks for the new range. */
const REFETCH_SHARE = 0.25;
const ZOOM_SETTLE_MS = 300;
/** Trades whose markers carry a text label; more would cover the candles. */
const LABELLED_TRADES = 20;

/**
 * An instrument's candles as a candlestick chart. maxPoints follows the chart's width, so
 * the server widens the interval until the series fits what can be drawn; zooming or
 * panning asks for the range then shown, at the interval that fits it.
 */
export function CandleChart({ instrument, trades = [] }: { instrument: InstrumentChoice; trades?: readonly TradeMark[] }) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<{ api: IChartApi; series: ISeriesApi<'Candlestick'>; gaps: ISeriesApi<'Histogram'>; markers: ISeriesMarkersPluginApi<Time> } | null>(null);
  const [width, setWidth] = useState(0);
  /** The range asked for after a zoom or pan, in ms; null: the opening window. */
  const [view, setView] = useState<{ from: number; to: number } | null>(null);
  const shown = useRef<{ from: number; to: number; times: number[] } | null>(null);

  useLayoutEffect(() => {
    const element = container.current!;
    const api = createChart(element, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: 'transparent' }, textColor: '#8b98a5' },
      grid: { vertLines: { color: '#26323d' }, horzLines: { color: '#26323d' } },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    const series = api.addSeries(CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', wickUpColor: '#26a69a', wickDownColor: '#ef5350', borderVisible: false });
    // Coverage gaps: full-height translucent columns on a scale of their own.
    const gaps = api.addSeries(HistogramSeries, { priceScaleId: 'gaps', color: 'rgba(239,83,80,0.18)', priceLineVisible: false, lastValueVisible: false });
    api.priceScale('gaps').applyOptions({ scaleMargins: { top: 0, bottom: 0 }, visible: false });
    chart.current = { api, series, gaps, markers: createSeriesMarkers(series, []) };
    const observer = new ResizeObserver(([entry]) => setWidth(Math.round(entry!.contentRect.width)));
    observer.observe(element);
    // The visible logical range (bar indexes, beyond the data when zoomed out) as times:
    // far enough from what was asked for, ask for it.
    let settle: ReturnType<typeof setTimeout> | undefined;
    api.timeScale().subscribeVisibleLogicalRangeChange((logical) => {
      clearTimeout(settle);
      settle = setTimeout(() => {
        const current = shown.current;
        if (!logical || !current || current.times.length < 2) return;
        const { times } = current;
        const step = (times[times.length - 1]! - times[0]!) / (times.length - 1);
        const from = Math.max(0, Math.round(times[0]! + logical.from * step));
        const to = Math.round(times[0]! + (logical.to + 1) * step);
        const span = current.to - current.from;
        if (Math.abs(from - current.from) > span * REFETCH_SHARE || Math.abs(to - current.to) > span * REFETCH_SHARE) setView({ from, to });
      }, ZOOM_SETTLE_MS);
    });
    return () => {
      clearTimeout(settle);
      observer.disconnect();
      api.remove();
      chart.current = null;
    };
  }, []);

  const opening = chartWindow(instrument);
  const range = view ? { from: new Date(view.from).toISOString(), to: new Date(view.to).toISOString() } : { from: opening.from, to: opening.to };
  const variables = { ...opening, ...range, maxPoints: Math.max(20, Math.floor(width / PIXELS_PER_CANDLE)) };
  const [result] = useQuery({ query: CandlesDocument, variables, pause: width === 0 });
  const series = result.data?.candles;
  const [coverage] = useQuery({ query: InstrumentCoverageDocument, variables: { symbol: instrument.symbol, first: 100 } });
  const gapList = coverage.data?.instrument?.coverage.gaps.edges.map(({ node }) => ({ from: new Date(node.from).getTime(), to: new Date(node.to).getTime() }));
  const [gapsShown, setGapsShown] = useState(0);

  useEffect(() => {
    if (!chart.current || !series) return;
    const bars = series.candles.map((c) => ({ time: (new Date(c.time).getTime() / 1000) as UTCTimestamp, open: c.open, high: c.high, low: c.low, close: c.close }));
    const asked = { from: new Date(variables.from).getTime(), to: new Date(variables.to).getTime() };
    shown.current = null; // setData moves the view: not a zoom of the user's
    const { shaded, empty } = shadeGaps(bars.map((b) => b.time), gapList ?? []);
    chart.current.series.setData([...bars, ...empty.map((time) => ({ time }))].sort((a, b) => a.time - b.time));
    chart.current.gaps.setData(shaded.map((time) => ({ time, value: 1 })));
    setGapsShown(shaded.length);
    if (view && bars.length > 0) chart.current.api.timeScale().setVisibleRange({ from: (asked.from / 1000) as UTCTimestamp, to: (asked.to / 1000) as UTCTimestamp });
    else chart.current.api.timeScale().fitContent();
    shown.current = { ...asked, times: bars.map((b) => b.time * 1000) };
  }, [series, coverage.data]);

  // The run's trades: entries and exits on the bars that hold them (labelled while few
  // enough to read).
  useEffect(() => {
    if (!chart.current) return;
    const at = (iso: string) => (new Date(iso).getTime() / 1000) as UTCTimestamp;
    const labelled = trades.length <= LABELLED_TRADES;
    const marks: SeriesMarker<Time>[] = trades.flatMap((t) => {
      const long = t.side === 'LONG';
      const entry: SeriesMarker<Time> = { time: at(t.entryTime), position: long ? 'belowBar' : 'aboveBar', shape: long ? 'arrowUp' : 'arrowDown', color: '#4c9aff', text: labelled ? (long ? 'buy' : 'sell') : '' };
      if (!t.exitTime) return [entry];
      return [entry, { time: at(t.exitTime), position: long ? 'aboveBar' : 'belowBar', shape: 'circle', color: '#e6a23c', text: labelled ? 'exit' : '' }];
    });
    marks.sort((a, b) => (a.time as number) - (b.time as number));
    chart.current.markers.setMarkers(marks);
  }, [trades]);

  return (
    <section class="chart-panel" aria-label={`${instrument.symbol} chart`}>
      <h2>
        {instrument.symbol}{' '}
        {series && (
          <span class="meta" data-testid="chart-meta">
            {series.candles.length} candles at {series.interval} (from {series.source})
          </span>
        )}{' '}
        {trades.length > 0 && (
          <span class="meta" data-testid="chart-trades">
            · {trades.length} trades marked
          </span>
        )}{' '}
        {gapsShown > 0 && (
          <span class="meta gap-note" data-testid="chart-gaps">
            · {gapsShown} bars touch a coverage gap (shaded)
          </span>
        )}
      </h2>
      {result.error && <p class="error" role="alert">{describeError(result.error)}</p>}
      <div class="chart" ref={container} />
    </section>
  );
}
