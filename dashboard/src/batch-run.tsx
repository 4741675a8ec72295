import { useQuery, useSubscription } from '@urql/preact';
import { useState } from 'preact/hooks';
import { BacktestBatchDocument, BatchProgressDocument, type BatchProgressSubscription } from '../../examples/generated/graphql';
import { describeError } from './api';
import { formatChange } from './format';

type Child = NonNullable<BatchProgressSubscription['batchProgress']['backtest']>;
type Counters = Omit<BatchProgressSubscription['batchProgress'], 'backtest' | 'batchId'>;
interface BatchState {
  counters: Counters;
  /** Finished children by id, in the order they finished. */
  rows: Map<string, Child>;
}

const COLUMNS = [
  { key: 'symbol', label: 'symbol' },
  { key: 'status', label: 'status' },
  { key: 'totalReturn', label: 'return' },
  { key: 'sharpe', label: 'Sharpe' },
  { key: 'maxDrawdown', label: 'max drawdown' },
  { key: 'winRate', label: 'win rate' },
  { key: 'tradeCount', label: 'trades' },
] as const;
type ColumnKey = (typeof COLUMNS)[number]['key'];

const sortValue = (row: Child, key: ColumnKey): string | number => (key === 'symbol' || key === 'status' ? row[key] : (row.metrics?.[key] ?? Number.NEGATIVE_INFINITY));

/** A batch: rows stream in as batchProgress delivers each finished child; sortable; a summary at the end. */
export function BatchRun({ id, onOpen }: { id: string; onOpen: (backtestId: string) => void }) {
  const [sort, setSort] = useState<{ key: ColumnKey; descending: boolean }>({ key: 'totalReturn', descending: true });
  const [live] = useSubscription<BatchProgressSubscription, BatchState>({ query: BatchProgressDocument, variables: { id } }, (previous, event) => {
    const { backtest, batchId: _batchId, ...counters } = event.batchProgress;
    const rows = new Map(previous?.rows);
    if (backtest) rows.set(backtest.id, backtest);
    return { counters, rows };
  });
  const state = live.data;
  const done = state ? state.counters.status !== 'QUEUED' && state.counters.status !== 'RUNNING' : false;
  const rows = [...(state?.rows.values() ?? [])].sort((a, b) => {
    const [x, y] = [sortValue(a, sort.key), sortValue(b, sort.key)];
    const order = x < y ? -1 : x > y ? 1 : 0;
    return sort.descending ? -order : order;
  });
  return (
    <section class="run" aria-label="Batch run">
      {live.error && <p class="error" role="alert">{describeError(live.error)}</p>}
      <div class="progress-line">
        <progress max={state?.counters.total || 1} value={(state?.counters.completed ?? 0) + (state?.counters.failed ?? 0)} aria-label="Batch progress" />
        <span data-testid="batch-status">{state?.counters.status ?? 'SUBMITTED'}</span>
        {state && (
          <span class="meta">
            {state.counters.completed} completed, {state.counters.failed} failed of {state.counters.total}
          </span>
        )}
      </div>
      {done && <BatchSummary id={id} />}
      <table class="batch" aria-label="Batch results">
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c.key} aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : undefined}>
                <button type="button" class="link" onClick={() => setSort({ key: c.key, descending: sort.key === c.key ? !sort.descending : true })}>
                  {c.label}
                  {sort.key === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} data-symbol={row.symbol} onClick={() => onOpen(row.id)} title={row.error ?? 'Open this backtest'}>
              <td>{row.symbol}</td>
              <td>{row.status}</td>
              <td>{formatChange(row.metrics?.totalReturn)}</td>
              <td>{row.metrics?.sharpe?.toFixed(3) ?? '—'}</td>
              <td>{formatChange(row.metrics?.maxDrawdown)}</td>
              <td>{formatChange(row.metrics?.winRate)}</td>
              <td>{row.metrics?.tradeCount ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function BatchSummary({ id }: { id: string }) {
  const [result] = useQuery({ query: BacktestBatchDocument, variables: { id, first: 1 }, requestPolicy: 'network-only' });
  if (result.error) return <p class="error" role="alert">{describeError(result.error)}</p>;
  const summary = result.data?.backtestBatch?.summary;
  if (!summary) return null;
  return (
    <p class="meta" data-testid="batch-summary">
      average {formatChange(summary.averageReturn)} · best {summary.bestSymbol} {formatChange(summary.bestReturn)} · worst {summary.worstSymbol} {formatChange(summary.worstReturn)}
    </p>
  );
}
