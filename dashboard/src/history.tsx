import { useQuery } from '@urql/preact';
import { useState } from 'preact/hooks';
import { BacktestBatchesDocument, BacktestsDocument, type BacktestStatus } from '../../examples/generated/graphql';
import { describeError } from './api';
import { BacktestRun } from './backtest-run';
import { BatchRun } from './batch-run';
import { formatChange } from './format';
import { STATUSES } from './status';

const PAGE = 25;
const KINDS = { backtests: 'Backtests', batches: 'Batches' } as const;
type Kind = keyof typeof KINDS;

const formatTime = (iso: string) => new Date(iso).toISOString().slice(0, 16).replace('T', ' ');

/**
 * The caller's backtests or batches, newest first, filtered by status and paged by cursor;
 * a row reopens the run (results) or the batch (its rows, live while it runs).
 */
export function History() {
  const [kind, setKind] = useState<Kind>('backtests');
  const [status, setStatus] = useState<BacktestStatus | ''>('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [open, setOpen] = useState<{ kind: Kind; id: string } | null>(null);
  /** A batch's child opened from its row. */
  const [child, setChild] = useState<string | null>(null);
  const variables = { first: PAGE, after: cursors[cursors.length - 1] ?? null, filter: status ? { status } : null };
  const [backtests] = useQuery({ query: BacktestsDocument, variables, requestPolicy: 'cache-and-network', pause: kind !== 'backtests' });
  const [batches] = useQuery({ query: BacktestBatchesDocument, variables, requestPolicy: 'cache-and-network', pause: kind !== 'batches' });
  const result = kind === 'backtests' ? backtests : batches;
  const pageInfo = kind === 'backtests' ? backtests.data?.backtests.pageInfo : batches.data?.backtestBatches.pageInfo;
  const rows = kind === 'backtests' ? backtests.data?.backtests.edges.length : batches.data?.backtestBatches.edges.length;
  const reset = () => {
    setCursors([]);
    setOpen(null);
    setChild(null);
  };
  return (
    <section class="history" aria-label="History">
      <div class="progress-line">
        <nav class="views" aria-label="History of">
          {(Object.keys(KINDS) as Kind[]).map((k) => (
            <button
              key={k}
              type="button"
              aria-pressed={kind === k}
              onClick={() => {
                setKind(k);
                reset();
              }}
            >
              {KINDS[k]}
            </button>
          ))}
        </nav>
        <label class="field">
          <span>status</span>
          <select
            name="status"
            value={status}
            onChange={(e) => {
              setStatus(e.currentTarget.value as BacktestStatus | '');
              reset();
            }}
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {cursors.length > 0 && (
          <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer
          </button>
        )}
        {pageInfo?.hasNextPage && (
          <button type="button" onClick={() => setCursors([...cursors, pageInfo.endCursor!])}>
            Older
          </button>
        )}
      </div>
      {result.error && <p class="error" role="alert">{describeError(result.error)}</p>}
      {rows === 0 && (
        <p class="empty">
          No {KINDS[kind].toLowerCase()}
          {status ? ` with status ${status}` : ''} yet.
        </p>
      )}
      {kind === 'backtests' ? (
        <table class="batch" aria-label="Backtests">
          <tbody>
            {backtests.data?.backtests.edges.map(({ node }) => (
              <tr key={node.id} data-id={node.id} onClick={() => setOpen({ kind, id: node.id })}>
                <td>{formatTime(node.queuedAt)}</td>
                <td>{node.symbol}</td>
                <td>{node.interval}</td>
                <td>{node.strategyKind}</td>
                <td>{node.status}</td>
                <td>{formatChange(node.metrics?.totalReturn)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <table class="batch" aria-label="Batches">
          <tbody>
            {batches.data?.backtestBatches.edges.map(({ node }) => (
              <tr key={node.id} data-id={node.id} onClick={() => {
                  setOpen({ kind, id: node.id });
                  setChild(null);
                }}
              >
                <td>{formatTime(node.queuedAt)}</td>
                <td>{node.total} symbols</td>
                <td>{node.interval}</td>
                <td>{node.strategyKind}</td>
                <td>{node.status}</td>
                <td>
                  {node.completed + node.failed}/{node.total}
                </td>
                <td title="average return">{formatChange(node.summary?.averageReturn)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open?.kind === 'backtests' && <BacktestRun key={open.id} id={open.id} />}
      {open?.kind === 'batches' && <BatchRun key={open.id} id={open.id} onOpen={setChild} />}
      {child && <BacktestRun key={child} id={child} />}
    </section>
  );
}
