import { useQuery } from '@urql/preact';
import { useState } from 'preact/hooks';
import { InstrumentsDocument } from '../../examples/generated/graphql';
import { describeError } from './api';
import { changeClass, formatChange, formatPrice } from './format';
import { Sparkline } from './sparkline';

export interface InstrumentChoice {
  symbol: string;
  baseInterval: string;
  latestTime: string | null;
}

/** The searchable instrument picker: symbol, name, last price, 24 h change and 7-day sparkline of each. */
export function InstrumentList(props: { selected: string | null; onSelect: (choice: InstrumentChoice) => void }) {
  const [search, setSearch] = useState('');
  const [result] = useQuery({ query: InstrumentsDocument, variables: { first: 200, search: search.trim() || null } });
  const edges = result.data?.instruments.edges ?? [];
  return (
    <nav class="instruments" aria-label="Instruments">
      <input type="search" placeholder="Search symbol or name" aria-label="Search instruments" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
      {result.error && <p class="error" role="alert">{describeError(result.error)}</p>}
      {!result.fetching && !result.error && edges.length === 0 && <p class="empty">No instruments match.</p>}
      <ul>
        {edges.map(({ node }) => (
          <li key={node.id}>
            <button
              type="button"
              data-symbol={node.symbol}
              aria-current={props.selected === node.symbol}
              onClick={() => props.onSelect({ symbol: node.symbol, baseInterval: node.baseInterval, latestTime: node.latestCandle?.time ?? null })}
            >
              <strong>{node.symbol}</strong>
              <span class="price">{node.latestCandle ? formatPrice(node.latestCandle.close) : '—'}</span>
              <span class="name">{node.name}</span>
              <span class="trend">
                <Sparkline points={node.summary?.sparkline ?? []} />
                <span class={`price ${changeClass(node.summary?.change24h)}`}>{formatChange(node.summary?.change24h)}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
