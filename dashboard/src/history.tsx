import { useQuery } from '@urql/preact';
import { useState } from 'preact/hooks';
import { BacktestsDocument, type BacktestStatus } from '../../examples/generated/graphql';
import { describeError } from './api';
import { BacktestRun } from './backtest-run';
import { formatChange } from './format';

const STATUSES: BacktestStatus[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
const PAGE = 25;

/** The caller's backtests, newest first, filtered by status; a row reopens its run and results. */
export function History() {
  const [status, setStatus] = useState<BacktestStatus | ''>('');
  const [cursors, setCursors] = useState<string[]>([]);
  const [openId, setOpenId] = useState<string | null>(null);
  const after = cursors[cursors.length - 1] ?? null;
  const [result] = useQuery({ query: BacktestsDocument, variables: { first: PAGE, after, filter: status ? { status } : null }, requestPolicy: 'cache-and-network' });
  const page = result.data?.backtests;
  return (
    <section class="history" aria-label="History">
      <div class="progress-line">
        <label class="field">
          <span>status</span>
          <select
            name="status"
            value={status}
            onChange={(e) => {
              setStatus(e.currentTarget.value as BacktestStatus | '');
              setCursors([]);
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
        {page?.pageInfo.hasNextPage && (
          <button type="button" onClick={() => setCursors([...cursors, page.pageInfo.endCursor!])}>
            Older
          </button>
        )}
      </div>
      {result.error && <p class="error" role="alert">{describeError(result.error)}</p>}
      {page && page.edges.length === 0 && <p class="empty">No backtests{status ? ` with status ${status}` : ''} yet.</p>}
      <table class="batch" aria-label="Backtests">
        <tbody>
          {page?.edges.map(({ node }) => (
            <tr key={node.id} data-id={node.id} onClick={() => setOpenId(node.id)}>
              <td>{new Date(node.queuedAt).toISOString().slice(0, 16).replace('T', ' ')}</td>
              <td>{node.symbol}</td>
              <td>{node.interval}</td>
              <td>{node.strategyKind}</td>
              <td>{node.status}</td>
              <td>{formatChange(node.metrics?.totalReturn)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {openId && <BacktestRun key={openId} id={openId} />}
    </section>
  );
}
