import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, type App } from '../../src/app.js';
import type { Runtime as Deps } from '../../src/deps.js';
import { ValidationError } from '../../src/lib/errors.js';
import { CandlesDocument, InstrumentCoverageDocument, MarketSummaryDocument } from '../../examples/generated/graphql.js';
import { randomCandles } from '../helpers/candles.js';
import { createTestDeps, uniqueName } from '../helpers/deps.js';
import { execute } from '../helpers/graphql.js';

/**
 * TimescaleDB compression in use: chunks compressed (by the command the policy's work can
 * be forced with) read back exactly — candles at every source, coverage, summary and the
 * backtests' read path — and an ingest into a compressed range is applied. The range is in
 * 2031, so its chunks hold this test's rows only.
 */
let deps: Deps;
let app: App;
const MINUTE = 60_000;
const DAY = 86_400_000;
const START = Date.UTC(2031, 2, 3); // Monday 2031-03-03
const BARS = 15 * 1440; // 15 days
const symbol = uniqueName('ZIP');
const from = new Date(START);
const to = new Date(START + 16 * DAY);
// Chunks are compressed whole: a window around the data's (91-day) chunks that no other test writes in.
const [zipFrom, zipTo] = [new Date(Date.UTC(2030, 0, 1)), new Date(Date.UTC(2032, 0, 1))];

beforeAll(async () => {
  deps = await createTestDeps({ AUTH_ANONYMOUS_READ: 'true' });
  app = createApp(deps);
});
afterAll(async () => deps.close());

async function snapshot() {
  const reads = await Promise.all(
    ['5m', '1h', '1d', '1w'].map((interval) => execute(app, CandlesDocument, { symbol, interval, from: from.toISOString(), to: to.toISOString() })),
  );
  const coverage = await execute(app, InstrumentCoverageDocument, { symbol, first: 50 });
  const summary = await execute(app, MarketSummaryDocument, { symbols: [symbol] });
  const id = (await deps.services.marketData.findInstrumentRef(symbol))!.id;
  const runs = await deps.services.marketData.loadCandlesForRuns([id], '1h', from, to);
  for (const r of [...reads, coverage, summary]) expect(r.body.errors).toBeUndefined();
  return {
    // Volumes are sums of float8: the order rows come back in (compressed or not) may change
    // the last bit, so they are compared to 12 significant digits; prices exactly.
    candles: reads.map((r) => ({
      ...r.body.data!.candles,
      candles: r.body.data!.candles.candles.map((c) => ({ ...c, volume: Number(c.volume.toPrecision(12)) })),
    })),
    coverage: coverage.body.data!.instrument!.coverage,
    summary: summary.body.data!.marketSummary,
    runs: Object.fromEntries(Object.entries(runs.get(id)!).map(([k, v]) => [k, Array.from(v as Float64Array)])),
  };
}

const compressedChunks = async () =>
  (
    await deps.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM timescaledb_information.chunks
       WHERE hypertable_name = 'candle' AND is_compressed AND range_start >= $1 AND range_end <= $2`,
      [zipFrom, zipTo],
    )
  ).rows[0]!.n;

describe('candle compression', () => {
  const timescale = () => deps.dialect.timescaledb;

  it('is refused with a clear error on the portable dialect', async () => {
    if (timescale()) return; // the TimescaleDB cases below cover it there
    await expect(deps.services.marketData.compressCandles(from, to)).rejects.toThrow(ValidationError);
    await expect(deps.services.marketData.compressCandles(from, to)).rejects.toThrow(/needs TimescaleDB/);
  });

  it('(TimescaleDB) compressed chunks read back exactly, and an ingest into them is applied', async () => {
    if (!timescale()) {
      console.log('compression test skipped: the portable dialect has no chunks to compress');
      return;
    }
    const series = randomCandles(2031, BARS, START, MINUTE);
    // A two-hour hole, so coverage has a gap to report.
    const keep = (i: number) => i < 3000 || i >= 3120;
    const holed = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, (v as Float64Array).filter((_, i) => keep(i))])) as unknown as typeof series;
    await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: holed }, { maxCandles: null });
    await deps.services.marketData.refreshAggregates();
    const before = await snapshot();
    expect(before.candles[2]!.source).toBe('candle_1d');
    expect(before.coverage!.gaps.totalCount).toBe(1);

    const compressed = await deps.services.marketData.compressCandles(zipFrom, zipTo);
    expect(compressed).toBeGreaterThanOrEqual(1);
    expect(await compressedChunks()).toBe(compressed);
    expect(await deps.services.marketData.compressCandles(zipFrom, zipTo)).toBe(0); // already compressed

    expect(await snapshot()).toEqual(before);

    // A correction inside a compressed chunk and the hole filled: applied, and seen everywhere.
    const fill = randomCandles(2032, 121, START + 2999 * MINUTE, MINUTE);
    fill.close[0] = holed.close[2999]! * 1.5;
    fill.high[0] = Math.max(fill.high[0]!, fill.close[0]!);
    const result = await deps.services.marketData.ingestCandles({ symbol, baseInterval: '1m', candles: fill });
    expect(result).toMatchObject({ inserted: 120, updated: 1 });
    const after = await execute(app, InstrumentCoverageDocument, { symbol, first: 50 });
    expect(after.body.data!.instrument!.coverage).toMatchObject({ presentBars: BARS, missingBars: 0 });
    const minute = await execute(app, CandlesDocument, { symbol, interval: '1m', from: new Date(START + 2999 * MINUTE).toISOString(), to: new Date(START + 3000 * MINUTE).toISOString() });
    expect(minute.body.data!.candles.candles[0]!.close).toBe(fill.close[0]);
    await deps.services.marketData.refreshAggregates();
    // Hour 49 ends with the corrected bar; hour 50 was missing and ends with fill's bar 60.
    const hours = await execute(app, CandlesDocument, { symbol, interval: '1h', from: new Date(START + 49 * 3_600_000).toISOString(), to: new Date(START + 51 * 3_600_000).toISOString() });
    expect(hours.body.data!.candles).toMatchObject({ source: 'candle_1h', candles: [{ close: fill.close[0] }, { close: fill.close[60] }] });
  });
});
