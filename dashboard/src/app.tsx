import { Provider } from '@urql/preact';
import { useMemo, useState } from 'preact/hooks';
import { createApiClient, storeApiKey, storedApiKey } from './api';
import { BacktestForm } from './backtest-form';
import { BacktestRun, type TradeMark } from './backtest-run';
import { BatchRun } from './batch-run';
import { CandleChart, chartWindow } from './candle-chart';
import { History } from './history';
import { InstrumentList, type InstrumentChoice } from './instrument-list';

/** The dashboard: the API key; markets (instruments, chart, runs and batches) or the history of runs. */
export function App() {
  const [apiKey, setApiKey] = useState(storedApiKey());
  const [draft, setDraft] = useState(apiKey ?? '');
  const [view, setView] = useState<'markets' | 'history'>('markets');
  const [instrument, setInstrument] = useState<InstrumentChoice | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [batchId, setBatchId] = useState<string | null>(null);
  const [marks, setMarks] = useState<{ symbol: string; trades: TradeMark[] } | null>(null);
  const pick = (choice: InstrumentChoice) => {
    setInstrument(choice);
    setRunId(null);
  };
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
        <nav class="views" aria-label="Views">
          {(['markets', 'history'] as const).map((v) => (
            <button key={v} type="button" aria-pressed={view === v} onClick={() => setView(v)}>
              {v === 'markets' ? 'Markets' : 'History'}
            </button>
          ))}
        </nav>
        <form class="key" onSubmit={saveKey}>
          <input type="password" placeholder="API key (qql_…)" aria-label="API key" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} autocomplete="off" />
          <button type="submit">{apiKey ? 'Change key' : 'Use key'}</button>
        </form>
      </header>
      {view === 'history' && <History />}
      <main hidden={view !== 'markets'}>
        <InstrumentList selected={instrument?.symbol ?? null} onSelect={pick} />
        {instrument ? (
          <div class="workspace">
            <CandleChart key={instrument.symbol} instrument={instrument} trades={marks?.symbol === instrument.symbol ? marks.trades : []} />
            <BacktestForm key={`form-${instrument.symbol}`} target={chartWindow(instrument)} onStarted={setRunId} onBatchStarted={setBatchId} />
            {runId && <BacktestRun key={runId} id={runId} onTrades={(symbol, trades) => setMarks({ symbol, trades })} />}
            {batchId && <BatchRun key={batchId} id={batchId} onOpen={setRunId} />}
          </div>
        ) : (
          <p class="empty">Pick an instrument to see its candles and backtest a strategy on them.</p>
        )}
      </main>
    </Provider>
  );
}
