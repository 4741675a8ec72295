import { useMutation, useQuery } from '@urql/preact';
import { useState } from 'preact/hooks';
import { CreateStrategyDocument, RunBacktestBatchDocument, RunBacktestDocument, StrategyKindsDocument } from '../../examples/generated/graphql';
import { describeError, issuesByField } from './api';

export interface RunTarget {
  symbol: string;
  interval: string;
  from: string;
  to: string;
}

type Values = Record<string, string>;

/**
 * The run form: a strategy kind, its parameters as `strategyKinds` describes them (type,
 * default, bounds, description), costs and fill timing. Submitting creates the strategy and
 * runs it on the instrument — or, as a batch, on every symbol listed; the API's field errors
 * are shown at their fields.
 */
export function BacktestForm({ target, onStarted, onBatchStarted }: { target: RunTarget; onStarted: (backtestId: string) => void; onBatchStarted: (batchId: string) => void }) {
  const [kinds] = useQuery({ query: StrategyKindsDocument });
  const [kindName, setKindName] = useState<string | null>(null);
  const [values, setValues] = useState<Values>({});
  const [costs, setCosts] = useState<Values>({ commission: '0.001', slippage: '0', positionSize: '1', fillTiming: 'NEXT_OPEN' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [, createStrategy] = useMutation(CreateStrategyDocument);
  const [running, runBacktest] = useMutation(RunBacktestDocument);
  const [batching, runBacktestBatch] = useMutation(RunBacktestBatchDocument);
  const [symbols, setSymbols] = useState(target.symbol);

  if (kinds.error) return <p class="error" role="alert">{describeError(kinds.error)}</p>;
  const all = kinds.data?.strategyKinds ?? [];
  const kind = all.find((k) => k.kind === kindName) ?? all[0];
  if (!kind) return null;
  const value = (name: string, fallback: unknown) => values[`${kind.kind}.${name}`] ?? String(fallback ?? '');

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const asBatch = (event.submitter as HTMLButtonElement | null)?.value === 'batch';
    setErrors({});
    setMessage(null);
    const parameters = Object.fromEntries(kind.parameters.map((p) => [p.name, Number(value(p.name, p.default))]));
    const created = await createStrategy({ input: { name: `${kind.name} on ${asBatch ? 'many symbols' : target.symbol}`, kind: kind.kind, parameters } });
    const strategy = created.data?.createStrategy;
    if (created.error || !strategy) return setMessage(created.error ? describeError(created.error) : 'No answer from the API.');
    if (strategy.__typename === 'ValidationError') return setErrors(issuesByField(strategy.issues)), setMessage(strategy.message);
    if (strategy.__typename !== 'Strategy') return setMessage(strategy.message);
    const common = {
      strategyId: strategy.id,
      interval: target.interval,
      from: target.from,
      to: target.to,
      commission: Number(costs.commission),
      slippage: Number(costs.slippage),
      positionSize: Number(costs.positionSize),
      fillTiming: costs.fillTiming as 'NEXT_OPEN' | 'CLOSE',
    };
    if (asBatch) {
      const list = symbols.split(/[\s,]+/).filter(Boolean);
      const run = await runBacktestBatch({ input: { ...common, symbols: list } });
      const batch = run.data?.runBacktestBatch;
      if (run.error || !batch) return setMessage(run.error ? describeError(run.error) : 'No answer from the API.');
      if (batch.__typename === 'BacktestBatch') return onBatchStarted(batch.id);
      if ('issues' in batch) setErrors(issuesByField(batch.issues));
      return setMessage(batch.message);
    }
    const run = await runBacktest({ input: { ...common, symbol: target.symbol } });
    const backtest = run.data?.runBacktest;
    if (run.error || !backtest) return setMessage(run.error ? describeError(run.error) : 'No answer from the API.');
    if (backtest.__typename === 'Backtest') return onStarted(backtest.id);
    if ('issues' in backtest) setErrors(issuesByField(backtest.issues));
    setMessage(backtest.message);
  };

  const field = (name: string, label: string, input: preact.JSX.Element, hint?: string | null) => (
    <label class="field" key={name}>
      <span title={hint ?? undefined}>{label}</span>
      {input}
      {errors[name] && <span class="field-error" role="alert">{errors[name]}</span>}
    </label>
  );
  const number = (name: string, current: string, set: (v: string) => void, bounds: { min?: number | null; max?: number | null; step?: string } = {}) => (
    <input type="number" name={name} value={current} step={bounds.step ?? 'any'} min={bounds.min ?? undefined} max={bounds.max ?? undefined} onInput={(e) => set(e.currentTarget.value)} />
  );

  return (
    <form class="run-form" onSubmit={submit} aria-label="Run a backtest">
      {field(
        'kind',
        'Strategy',
        <select name="kind" value={kind.kind} onChange={(e) => setKindName(e.currentTarget.value)}>
          {all.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.name}
            </option>
          ))}
        </select>,
        kind.description,
      )}
      {kind.parameters.map((p) =>
        field(p.name, p.name, number(p.name, value(p.name, p.default), (v) => setValues({ ...values, [`${kind.kind}.${p.name}`]: v }), { min: p.min, max: p.max, step: p.type === 'INT' ? '1' : 'any' }), p.description),
      )}
      {(['commission', 'slippage', 'positionSize'] as const).map((name) => field(name, name, number(name, costs[name]!, (v) => setCosts({ ...costs, [name]: v }))))}
      {field(
        'fillTiming',
        'fill',
        <select name="fillTiming" value={costs.fillTiming} onChange={(e) => setCosts({ ...costs, fillTiming: e.currentTarget.value })}>
          <option value="NEXT_OPEN">next open</option>
          <option value="CLOSE">close</option>
        </select>,
      )}
      <button type="submit" value="single" disabled={running.fetching || batching.fetching}>
        Run backtest
      </button>
      {field('symbols', 'batch symbols', <input type="text" name="symbols" value={symbols} onInput={(e) => setSymbols(e.currentTarget.value)} placeholder="BTCUSDT, ETHUSDT …" />)}
      <button type="submit" value="batch" disabled={running.fetching || batching.fetching}>
        Run batch
      </button>
      {message && <p class="error" role="alert">{message}</p>}
    </form>
  );
}
