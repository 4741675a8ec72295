import { Provider } from '@urql/preact';
import { useMemo, useState } from 'preact/hooks';
import { createApiClient, storeApiKey, storedApiKey } from './api';
import { CandleChart } from './candle-chart';
import { InstrumentList, type InstrumentChoice } from './instrument-list';

/** The dashboard: the API key, the instrument picker and the chart of the one picked. */
export function App() {
  const [apiKey, setApiKey] = useState(storedApiKey());
  const [draft, setDraft] = useState(apiKey ?? '');
  const [instrument, setInstrument] = useState<InstrumentChoice | null>(null);
  const client = useMemo(() => createApiClient(apiKey), [apiKey]);
  const saveKey = (event: Event) => {
    event.preventDefault();
    const key = draft.trim() || null;
    storeApiKey(key);
    setApiKey(key);
  };
  return (
    <Provider value={client}>
      <header>
        <h1>quantql</h1>
        <form class="key" onSubmit={saveKey}>
          <input type="password" placeholder="API key (qql_…)" aria-label="API key" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} autocomplete="off" />
          <button type="submit">{apiKey ? 'Change key' : 'Use key'}</button>
        </form>
      </header>
      <main>
        <InstrumentList selected={instrument?.symbol ?? null} onSelect={setInstrument} />
        {instrument ? <CandleChart key={instrument.symbol} instrument={instrument} /> : <p class="empty">Pick an instrument to see its candles.</p>}
      </main>
    </Provider>
  );
}
