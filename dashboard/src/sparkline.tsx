/**
 * A price line small enough for a list row: an SVG polyline over MarketSummary.sparkline,
 * scaled to its own range. A chart library would put a canvas and its own layout engine in
 * every row of a 200-row list for what is one path.
 */
export function Sparkline({ points, width = 72, height = 22 }: { points: readonly number[]; width?: number; height?: number }) {
  if (points.length < 2) return <svg class="sparkline" width={width} height={height} aria-hidden="true" />;
  const low = Math.min(...points);
  const span = Math.max(...points) - low || 1;
  const step = width / (points.length - 1);
  const path = points.map((p, i) => `${(i * step).toFixed(1)},${(height - 1 - ((p - low) / span) * (height - 2)).toFixed(1)}`).join(' ');
  const trend = points.at(-1)! >= points[0]! ? 'up' : 'down';
  return (
    <svg class={`sparkline ${trend}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`7-day trend: ${trend}`} data-points={points.length}>
      <polyline points={path} fill="none" stroke="currentColor" stroke-width="1.2" />
    </svg>
  );
}
