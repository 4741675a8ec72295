import { AreaSeries, ColorType, createChart, LineSeries, type UTCTimestamp } from 'lightweight-charts';
import { useLayoutEffect, useRef } from 'preact/hooks';

export interface EquityPoint {
  time: string;
  equity: number;
  drawdown: number;
}

const seconds = (iso: string) => (new Date(iso).getTime() / 1000) as UTCTimestamp;

/** A run's equity curve (right scale) over its drawdown (left scale, an area below zero). */
export function EquityChart({ points }: { points: readonly EquityPoint[] }) {
  const container = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const chart = createChart(container.current!, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: 'transparent' }, textColor: '#8b98a5' },
      grid: { vertLines: { color: '#26323d' }, horzLines: { color: '#26323d' } },
      leftPriceScale: { visible: true },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    const drawdown = chart.addSeries(AreaSeries, { priceScaleId: 'left', lineColor: '#ef5350', topColor: 'rgba(239,83,80,0.05)', bottomColor: 'rgba(239,83,80,0.4)', lineWidth: 1, priceFormat: { type: 'percent' } });
    const equity = chart.addSeries(LineSeries, { color: '#4c9aff', lineWidth: 2 });
    drawdown.setData(points.map((p) => ({ time: seconds(p.time), value: p.drawdown * 100 })));
    equity.setData(points.map((p) => ({ time: seconds(p.time), value: p.equity })));
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [points]);
  return <div class="equity-chart" ref={container} aria-label="Equity curve and drawdown" />;
}
