import { useMutation, useQuery, useSubscription } from '@urql/preact';
import { useEffect, useState } from 'preact/hooks';
import {
  BacktestProgressDocument,
  BacktestResultDocument,
  BacktestTradeMarksDocument,
  CancelBacktestDocument,
  MetricCatalogDocument,
  type BacktestProgressSubscription,
} from '../../examples/generated/graphql';
import { describeError } from './api';
import { EquityChart } from './equity-chart';
import { formatChange } from './format';
import { isFinished } from './status';

type Progress = { status: string; progress: number; etaSeconds?: number | null; error?: string | null };

const TRADES_PAGE = 20;
/** Trades marked on the candle chart: one page of the API's largest (GRAPHQL_MAX_PAGE_SIZE). */
const MARKED_TRADES = 500;

/** A closed trade as the candle chart marks it. */
export interface TradeMark {
  side: string;
  entryTime: string;
  exitTime?: string | null;
}

/** One run: live progress (backtestProgress), cancel, and once it is done its results. */
export function BacktestRun({ id, onTrades }: { id: string; onTrades?: (symbol: string, trades: TradeMark[]) => void }) {
  // The newest event is the state: each one is whole (status, progress, ETA).
  const [live] = useSubscription<BacktestProgressSubscription, Progress>(
    { query: BacktestProgressDocument, variables: { id } },
    (_previous, event) => event.backtestProgress,
  );
  const [cancelling, cancel] = useMutation(CancelBacktestDocument);
  const progress = live.data;
  const done = progress ? isFinished(progress.status) : false;
  return (
    <section class="run" aria-label="Backtest run">
      {live.error && <p class="error" role="alert">{describeError(live.error)}</p>}
      <div class="progress-line">
        <progress max={1} value={progress?.progress ?? 0} aria-label="Backtest progress" />
        <span data-testid="run-status">{progress?.status ?? 'SUBMITTED'}</span>
        <span data-testid="run-percent">{Math.round((progress?.progress ?? 0) * 100)}%</span>
        {progress?.etaSeconds != null && !done && <span class="meta">≈ {Math.ceil(progress.etaSeconds)} s left</span>}
        {!done && (
          <button type="button" disabled={cancelling.fetching} onClick={() => cancel({ id })}>
            Cancel
          </button>
        )}
      </div>
      {cancelling.data?.cancelBacktest && 'message' in cancelling.data.cancelBacktest && <p class="error">{cancelling.data.cancelBacktest.message}</p>}
      {progress?.status === 'COMPLETED' && <BacktestResults id={id} onTrades={onTrades} />}
    </section>
  );
}

/** Metrics (labels, units and direction from metricCatalog), the assumptions, the trades page by page, and every trade (up to 500) for the candle chart's markers. */
function BacktestResults({ id, onTrades }: { id: string; onTrades?: (symbol: string, trades: TradeMark[]) => void }) {
  const [after, setAfter] = useState<string | null>(null);
  const [result] = useQuery({ query: BacktestResultDocument, variables: { id, first: TRADES_PAGE, after, maxPoints: 500 }, requestPolicy: 'network-only' });
  const [catalog] = useQuery({ query: MetricCatalogDocument });
  const [marks] = useQuery({ query: BacktestTradeMarksDocument, variables: { id, first: MARKED_TRADES }, pause: !onTrades });
  const marked = marks.data?.backtest;
  useEffect(() => {
    if (marked) onTrades?.(marked.symbol, marked.trades.edges.map(({ node }) => node));
  }, [marked]);
  const error = result.error ?? catalog.error;
  if (error) return <p class="error" role="alert">{describeError(error)}</p>;
  const backtest = result.data?.backtest;
  const metrics = backtest?.metrics as Record<string, number | null> | null | undefined;
  if (!backtest || !metrics || !catalog.data) return <p class="empty">Loading results…</p>;
  return (
    <div class="results">
      {backtest.equityCurve && <EquityChart points={backtest.equityCurve} />}
      <table class="metrics" aria-label="Metrics">
        <tbody>
          {catalog.data.metricCatalog.map((m) => (
            <tr key={m.name} data-metric={m.name}>
              <th title={m.formula}>{m.label}</th>
              <td>{formatMetric(metrics[m.name], m.unit)}</td>
              <td class="meta">{m.higherIsBetter === true ? '↑ better' : m.higherIsBetter === false ? '↓ better' : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {backtest.assumptions && (
        <p class="meta">
          {backtest.symbol} {backtest.interval}, fills at {backtest.assumptions.fillTiming}, commission {backtest.assumptions.commission}, slippage{' '}
          {backtest.assumptions.slippage}, position {backtest.assumptions.positionSize}
        </p>
      )}
      <table class="trades" aria-label="Trades">
        <thead>
          <tr>
            <th>#</th>
            <th>side</th>
            <th>entry</th>
            <th>exit</th>
            <th>return</th>
          </tr>
        </thead>
        <tbody>
          {backtest.trades.edges.map(({ node }) => (
            <tr key={node.seq}>
              <td>{node.seq}</td>
              <td>{node.side}</td>
              <td>{new Date(node.entryTime).toISOString().slice(0, 16).replace('T', ' ')}</td>
              <td>{node.exitTime ? new Date(node.exitTime).toISOString().slice(0, 16).replace('T', ' ') : 'open'}</td>
              <td>{formatChange(node.returnPct)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {backtest.trades.pageInfo.hasNextPage && (
        <button type="button" onClick={() => setAfter(backtest.trades.pageInfo.endCursor ?? null)}>
          Next {TRADES_PAGE} trades
        </button>
      )}
      {after && (
        <button type="button" onClick={() => setAfter(null)}>
          First trades
        </button>
      )}
    </div>
  );
}

function formatMetric(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '—';
  if (unit === 'FRACTION') return `${(value * 100).toFixed(2)}%`;
  if (unit === 'CURRENCY') return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  if (unit === 'RATIO') return value.toFixed(3);
  return value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}
