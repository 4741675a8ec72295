import { useQuery, useSubscription } from '@urql/preact';
import { useEffect, useState } from 'preact/hooks';
import { BacktestBatchDocument, BatchProgressDocument, type BatchProgressSubscription } from '../../examples/generated/graphql';
import { describeError } from './api';
import { formatChange } from './format';
import { isFinished } from './status';

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

/** Every child of a batch fits one page (BACKTEST_MAX_BATCH_SYMBOLS ≤ GRAPHQL_MAX_PAGE_SIZE). */
const ALL_CHILDREN = 500;

/**
 * A batch: the children already finished (read once, so a reopened or running batch shows
 * them), then rows stream in as batchProgress delivers each finished child; sortable; the
 * summary once it ends (read again then, which also fills in any child finished between the
 * read and the subscription's start).
 */
export function BatchRun({ id, onOpen }: { id: string; onOpen: (backtestId: string) => void }) {
  const [sort, setSort] = useState<{ key: ColumnKey; descending: boolean }>({ key: 'totalReturn', descending: true });
  const [stored, reread] = useQuery({ query: BacktestBatchDocument, variables: { id, first: ALL_CHILDREN }, requestPolicy: 'network-only' });
  const [live] = useSubscription<BatchProgressSubscription, BatchState>({ query: BatchProgressDocument, variables: { id } }, (previous, event) => {
    const { backtest, batchId: _batchId, ...counters } = event.batchProgress;
    const rows = new Map(previous?.rows);
    if (backtest) rows.set(backtest.id, backtest);
    return { counters, rows };
  });
  const state = live.data;
  const done = state ? isFinished(state.counters.status) : false;
  useEffect(() => {
    if (done) reread({ requestPolicy: 'network-only' });
  }, [done, reread]);
  const batch = stored.data?.backtestBatch;
  const byId = new Map<string, Child>();
  for (const { node } of batch?.backtests.edges ?? []) if (isFinished(node.status)) byId.set(node.id, node);
  for (const [childId, row] of state?.rows ?? []) byId.set(childId, row);
  const rows = [...byId.values()].sort((a, b) => {
    const [x, y] = [sortValue(a, sort.key), sortValue(b, sort.key)];
    const order = x < y ? -1 : x > y ? 1 : 0;
    return sort.descending ? -order : order;
  });
  const summary = done ? batch?.summary : null;
  return (
    <section class="run" aria-label="Batch run">
      {(live.error ?? stored.error) && <p class="error" role="alert">{describeError((live.error ?? stored.error)!)}</p>}
      {batch && (
        <h2 class="run-title">
          {batch.strategyKind} {JSON.stringify(batch.parameters)} · {batch.total} symbols
        </h2>
      )}
      <div class="progress-line">
        <progress max={state?.counters.total || 1} value={(state?.counters.completed ?? 0) + (state?.counters.failed ?? 0)} aria-label="Batch progress" />
        <span data-testid="batch-status">{state?.counters.status ?? 'SUBMITTED'}</span>
        {state && (
          <span class="meta">
            {state.counters.completed} completed, {state.counters.failed} failed of {state.counters.total}
          </span>
        )}
      </div>
      {summary && (
        <p class="meta" data-testid="batch-summary">
          average {formatChange(summary.averageReturn)} · best {summary.bestSymbol} {formatChange(summary.bestReturn)} · worst {summary.worstSymbol} {formatChange(summary.worstReturn)}
        </p>
      )}
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
