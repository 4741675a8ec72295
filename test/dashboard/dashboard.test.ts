import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startJobConsumer, type JobConsumer } from '../../src/jobs/consumer.js';
import { listen, type Listening } from '../../src/server.js';
import { createKeyHeader } from '../helpers/api-keys.js';
import { randomCandles } from '../helpers/candles.js';
import { uniqueName } from '../helpers/deps.js';
import { startStack, type TestStack } from '../helpers/stack.js';

/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against the
 * real server: built by the project's script, served at /, talking to /graphql as any client
 * does. Screenshots go to test-artifacts/. Any console error fails the test.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
// CI installs chromium (.ci/run); a machine without it skips these tests, CI never does.
const haveBrowser = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!haveBrowser) console.warn(`dashboard tests skipped: no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

(haveBrowser ? describe : describe.skip)('dashboard', () => {
  let stack: TestStack;
  let trader: Awaited<ReturnType<typeof createKeyHeader>>;
  let server: Listening;
  let base: string;
  let browser: Browser;
  const symbol = uniqueName('DASH');
  /** Ten instruments of the batch test: the picked one and nine more. */
  const gapSymbol = `${symbol}GAP`;
  const batchSymbols = [symbol, ...Array.from({ length: 9 }, (_, i) => `${symbol}B${i}`)];
  /** Five more, for a batch half of which was run before. */
  const moreSymbols = Array.from({ length: 5 }, (_, i) => `${symbol}M${i}`);
  const HOUR = 3_600_000;
  const series = randomCandles(71, 24 * 40, Date.UTC(2024, 5, 1), HOUR);

  beforeAll(async () => {
    await promisify(execFile)('node', ['scripts/build-dashboard.mjs']);
    await mkdir(ARTIFACTS, { recursive: true });
    // API and job consumer in this process; anonymous reads on (as embedded), runs need a trader's key.
    stack = await startStack({ env: { AUTH_ANONYMOUS_READ: 'true' } });
    trader = await createKeyHeader(stack.deps, 'trader');
    await stack.deps.services.marketData.ingestCandles({ symbol, baseInterval: '1h', name: 'Dashboard test', candles: series });
    // An instrument with a 5-day hole after its 10th day.
    const holed = randomCandles(72, 24 * 40, Date.UTC(2024, 5, 1), HOUR);
    const keep = (i: number) => i < 240 || i >= 360;
    const pick = (column: Float64Array) => Float64Array.from(column.filter((_, i) => keep(i)));
    await stack.deps.services.marketData.ingestCandles({
      symbol: gapSymbol,
      baseInterval: '1h',
      candles: { time: pick(holed.time), open: pick(holed.open), high: pick(holed.high), low: pick(holed.low), close: pick(holed.close), volume: pick(holed.volume) },
    });
    for (const [i, other] of [...batchSymbols.slice(1), ...moreSymbols].entries()) {
      await stack.deps.services.marketData.ingestCandles({ symbol: other, baseInterval: '1h', candles: randomCandles(100 + i, 24 * 40, Date.UTC(2024, 5, 1), HOUR) });
    }
    server = await listen(stack.app, '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await stack?.close();
  });

  /** A page whose console errors and uncaught exceptions are collected. */
  async function open(viewport = { width: 1280, height: 800 }, at = base): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${at}/`);
    return { page, problems };
  }

  it('serves the page uncached and its assets as immutable', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const script = /src="(\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${base}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
    // The API is still the API.
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
  });

  it('finds an instrument by search, shows its last price and draws its candles', async () => {
    const { page, problems } = await open();
    await page.getByLabel('Search instruments').fill(symbol);
    const row = page.locator(`button[data-symbol="${symbol}"]`);
    const last = series.close[series.close.length - 1]!;
    await expect(row.textContent()).resolves.toContain(last.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: last >= 1000 ? 2 : 4 }));
    // Its 7-day sparkline: the API's points, rising or falling as they do.
    const api = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ marketSummary(symbols: ["${symbol}"]) { sparkline } }` }),
    });
    const sparkline = ((await api.json()) as { data: { marketSummary: Array<{ sparkline: number[] }> } }).data.marketSummary[0]!.sparkline;
    expect(sparkline).toHaveLength(28);
    const drawn = row.locator('svg.sparkline');
    expect(await drawn.getAttribute('data-points')).toBe('28');
    expect(await drawn.getAttribute('class')).toBe(`sparkline ${sparkline.at(-1)! >= sparkline[0]! ? 'up' : 'down'}`);
    expect((await drawn.locator('polyline').getAttribute('points'))!.split(' ')).toHaveLength(28);
    await row.click();
    // The 180 days up to its last candle, with as many candles as fit the chart's width
    // (6 px each): what the API answers for that request.
    const meta = page.getByTestId('chart-meta');
    await meta.waitFor();
    const [, count, interval] = /(\d+) candles at (\w+)/.exec((await meta.textContent())!)!;
    const width = await page.locator('.chart').evaluate((el) => Math.round(el.getBoundingClientRect().width));
    const DAY = 86_400_000;
    const to = series.time[series.time.length - 1]! + DAY;
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query($s: String!, $f: DateTime!, $t: DateTime!, $m: Int) { candles(symbol: $s, interval: "1h", from: $f, to: $t, maxPoints: $m) { interval candles { time } } }',
        variables: { s: symbol, f: new Date(to - 180 * DAY).toISOString(), t: new Date(to).toISOString(), m: Math.floor(width / 6) },
      }),
    });
    const expected = ((await response.json()) as { data: { candles: { interval: string; candles: unknown[] } } }).data.candles;
    expect({ count: Number(count), interval }).toEqual({ count: expected.candles.length, interval: expected.interval });
    expect(expected.candles.length).toBeGreaterThan(10);
    expect(await page.locator('.chart canvas').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-instrument.png` });
    // Zooming in asks for the narrower range: the API answers it at a finer interval.
    await page.locator('.chart').hover();
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -400);
    await page.waitForFunction((before) => !document.querySelector('[data-testid="chart-meta"]')!.textContent!.includes(`at ${before} `), interval);
    const zoomed = /(\d+) candles at (\w+)/.exec((await meta.textContent())!)!;
    const hours = (name: string) => ({ h: 1, d: 24, w: 168 })[name.slice(-1) as 'h' | 'd' | 'w'] * Number.parseInt(name, 10);
    expect(hours(zoomed[2]!)).toBeLessThan(hours(interval!));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('works on a phone-width screen', async () => {
    const { page, problems } = await open({ width: 390, height: 844 });
    await page.getByLabel('Search instruments').fill(symbol);
    await page.locator(`button[data-symbol="${symbol}"]`).click();
    await page.getByTestId('chart-meta').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-phone.png` });
    expect(problems).toEqual([]);
    await page.close();
  });

  /**
   * A page with the trader's key entered, the test instrument picked and the run form set
   * to an SMA crossover (its parameters as given).
   */
  async function openAsTrader(parameters: Record<string, string> = {}, at = base) {
    const opened = await open(undefined, at);
    const { page } = opened;
    await page.getByLabel('API key').fill(trader.key);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByLabel('Search instruments').fill(symbol);
    await page.locator(`button[data-symbol="${symbol}"]`).click();
    await page.getByTestId('chart-meta').waitFor();
    const form = page.getByRole('form', { name: 'Run a backtest' });
    await form.locator('select[name="kind"]').selectOption('SMA_CROSSOVER');
    for (const [name, value] of Object.entries(parameters)) await form.locator(`input[name="${name}"]`).fill(value);
    return { ...opened, form };
  }

  it('runs a backtest: progress reaches 100 %, the metrics show the total return the API reports', async () => {
    const { page, problems, form } = await openAsTrader({ fast: '5', slow: '20' });
    await form.getByRole('button', { name: 'Run backtest' }).click();
    await page.getByTestId('run-status').filter({ hasText: 'COMPLETED' }).waitFor();
    expect(await page.getByTestId('run-percent').textContent()).toBe('100%');
    const shown = await page.locator('tr[data-metric="totalReturn"] td').first().textContent();
    // The same run through the API: the newest backtest of this trader.
    const latest = await stack.deps.prisma.backtest.findFirstOrThrow({ where: { owner: trader.owner }, orderBy: { queuedAt: 'desc' } });
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...trader.headers },
      body: JSON.stringify({ query: `{ backtest(id: "${Buffer.from(`Backtest:${latest.id}`).toString('base64')}") { metrics { totalReturn } } }` }),
    });
    const { data } = (await response.json()) as { data: { backtest: { metrics: { totalReturn: number } } } };
    expect(shown).toBe(`${(data.backtest.metrics.totalReturn * 100).toFixed(2)}%`);
    expect(await page.locator('.equity-chart canvas').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-backtest.png`, fullPage: true });
    // Trades page by page, as the API pages them; every one of them marked on the candle chart.
    const tradeCount = Number(await page.locator('tr[data-metric="tradeCount"] td').first().textContent());
    expect(tradeCount).toBeGreaterThan(20);
    await page.getByTestId('chart-trades').filter({ hasText: `${Math.min(tradeCount, 500)} trades marked` }).waitFor();
    const seqs = () => page.locator('table[aria-label="Trades"] tbody tr td:first-child').allTextContents();
    expect(await seqs()).toEqual(Array.from({ length: Math.min(20, tradeCount) }, (_, i) => String(i)));
    if (tradeCount > 20) {
      await page.getByRole('button', { name: 'Next 20 trades' }).click();
      await page.locator('table[aria-label="Trades"] tbody tr td:first-child', { hasText: /^20$/ }).waitFor();
      expect(await seqs()).toEqual(Array.from({ length: Math.min(20, tradeCount - 20) }, (_, i) => String(20 + i)));
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it('says what is missing when there is no key, or the key’s role may not run backtests', async () => {
    const reader = await createKeyHeader(stack.deps, 'reader');
    const { page, problems } = await open();
    await page.getByLabel('Search instruments').fill(symbol);
    await page.locator(`button[data-symbol="${symbol}"]`).click();
    const form = page.getByRole('form', { name: 'Run a backtest' });
    await form.getByRole('button', { name: 'Run backtest' }).click();
    await expect(form.getByRole('alert').textContent()).resolves.toMatch(/API key/);
    await page.getByLabel('API key').fill(reader.key);
    await page.getByRole('button', { name: 'Use key' }).click();
    await form.getByRole('button', { name: 'Run backtest' }).click();
    await form.getByRole('alert').filter({ hasText: /role/ }).waitFor();
    expect(await form.getByRole('alert').textContent()).toBe('This operation needs the trader role; your API key has the reader role');
    expect(await stack.deps.prisma.strategy.count({ where: { owner: reader.owner } })).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows the API’s message for a bad parameter at its field, and runs nothing', async () => {
    const { page, problems, form } = await openAsTrader({ fast: '30', slow: '10' });
    const before = await stack.deps.prisma.backtest.count({ where: { owner: trader.owner } });
    await form.getByRole('button', { name: 'Run backtest' }).click();
    const fieldError = form.locator('label.field .field-error');
    await fieldError.first().waitFor();
    expect(await fieldError.allTextContents()).toEqual([expect.stringMatching(/fast|slow/)]);
    expect(await stack.deps.prisma.backtest.count({ where: { owner: trader.owner } })).toBe(before);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('runs a 10-symbol batch: a row per symbol as they finish, sortable, a summary at the end; a row opens its backtest', async () => {
    const { page, problems, form } = await openAsTrader();
    await form.locator('input[name="symbols"]').fill(batchSymbols.join(', '));
    await form.getByRole('button', { name: 'Run batch' }).click();
    await page.getByTestId('batch-status').filter({ hasText: 'COMPLETED' }).waitFor();
    const table = page.getByRole('table', { name: 'Batch results' });
    const rows = table.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(10);
    expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-symbol'))))).toEqual(new Set(batchSymbols));
    await page.getByTestId('batch-summary').waitFor();
    // Sorted by return, highest first; one click on the header turns it round.
    const returns = async () => (await table.locator('tbody tr td:nth-child(3)').allTextContents()).map((t) => Number.parseFloat(t));
    const descending = await returns();
    expect(descending).toEqual([...descending].sort((a, b) => b - a));
    await table.getByRole('button', { name: /return/ }).click();
    expect(await returns()).toEqual([...descending].reverse());
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-batch.png`, fullPage: true });
    await rows.first().click();
    await page.getByTestId('run-status').filter({ hasText: 'COMPLETED' }).waitFor();
    await page.locator('tr[data-metric="totalReturn"]').waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  /** An API with no job consumer (runs stay QUEUED until one starts), served over HTTP. */
  async function idleApi() {
    const idle = await startStack({ consume: false, env: { AUTH_ANONYMOUS_READ: 'true' } });
    const idleServer = await listen(idle.app, '127.0.0.1', 0);
    return {
      stack: idle,
      url: `http://127.0.0.1:${(idleServer.server.address() as { port: number }).port}`,
      async close() {
        await idleServer.close();
        await idle.close();
      },
    };
  }

  it('mid-batch: children run before show at once, the rest stream in once a worker starts (the README’s picture)', async () => {
    // Half the symbols with the previous test's strategy, range and costs: answered from
    // those results when the batch is submitted; the other half wait for a worker.
    const idle = await idleApi();
    let consumer: JobConsumer | null = null;
    try {
      const { page, problems, form } = await openAsTrader({}, idle.url);
      const mixed = [...batchSymbols.slice(0, 5), ...moreSymbols];
      await form.locator('input[name="symbols"]').fill(mixed.join(', '));
      await form.getByRole('button', { name: 'Run batch' }).click();
      const table = page.getByRole('table', { name: 'Batch results' });
      const rows = table.locator('tbody tr');
      await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Batch results"] tbody tr').length === 5);
      expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-symbol'))))).toEqual(new Set(batchSymbols.slice(0, 5)));
      const bar = page.getByLabel('Batch progress');
      expect([await bar.getAttribute('value'), await bar.getAttribute('max')]).toEqual(['5', '10']);
      expect(await page.getByTestId('batch-status').textContent()).toMatch(/QUEUED|RUNNING/);
      expect(await page.getByTestId('batch-summary').count()).toBe(0);
      await table.scrollIntoViewIfNeeded();
      // The README's picture (docs/dashboard.png is a copy of it).
      await page.screenshot({ path: `${ARTIFACTS}/dashboard-readme.png` });

      consumer = await startJobConsumer(idle.stack.deps, { resumeUnfinished: false });
      await page.getByTestId('batch-status').filter({ hasText: 'COMPLETED' }).waitFor();
      await page.getByTestId('batch-summary').waitFor();
      expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-symbol'))))).toEqual(new Set(mixed));
      expect([await bar.getAttribute('value'), await bar.getAttribute('max')]).toEqual(['10', '10']);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await consumer?.stop();
      await idle.close();
    }
  });

  it('cancels a run that has not finished: the progress shows CANCELLED', async () => {
    // No job consumer: the run stays QUEUED until it is cancelled.
    const idle = await idleApi();
    try {
      const { page, problems, form } = await openAsTrader({ fast: '7' }, idle.url);
      await form.getByRole('button', { name: 'Run backtest' }).click();
      await page.getByTestId('run-status').filter({ hasText: 'QUEUED' }).waitFor();
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByTestId('run-status').filter({ hasText: 'CANCELLED' }).waitFor();
      expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
      const latest = await idle.stack.deps.prisma.backtest.findFirstOrThrow({ where: { owner: trader.owner }, orderBy: { queuedAt: 'desc' } });
      expect(latest.status).toBe('CANCELLED');
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await idle.close();
    }
  });

  it('history: the trader’s backtests and batches filtered by status, newest first; a row reopens its results', async () => {
    const { page, problems } = await openAsTrader();
    await page.getByRole('button', { name: 'History' }).click();
    const rows = page.getByRole('table', { name: 'Backtests' }).locator('tbody tr');
    const statusFilter = page.getByRole('region', { name: 'History' }).locator('select[name="status"]');
    await statusFilter.selectOption('CANCELLED');
    // The run the previous test cancelled, and nothing else of this trader's.
    await page.waitForFunction(() => [...document.querySelectorAll('table[aria-label="Backtests"] tbody tr')].every((tr) => tr.textContent!.includes('CANCELLED')));
    const cancelled = await stack.deps.prisma.backtest.findMany({ where: { owner: trader.owner, status: 'CANCELLED' } });
    await expect(rows.count()).resolves.toBe(cancelled.length);
    await statusFilter.selectOption('COMPLETED');
    await page.waitForFunction(() => {
      const trs = [...document.querySelectorAll('table[aria-label="Backtests"] tbody tr')];
      return trs.length > 0 && trs.every((tr) => tr.textContent!.includes('COMPLETED'));
    });
    const completed = await stack.deps.prisma.backtest.count({ where: { owner: trader.owner, status: 'COMPLETED' } });
    await expect(rows.count()).resolves.toBe(Math.min(25, completed));
    await rows.first().click();
    await page.locator('tr[data-metric="totalReturn"]').waitFor();

    // Batches: the two this trader ran, newest first; one reopens with all its rows and summary.
    await page.getByRole('navigation', { name: 'History of' }).getByRole('button', { name: 'Batches' }).click();
    const batchRows = page.getByRole('table', { name: 'Batches' }).locator('tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Batches"] tbody tr').length > 0);
    const batches = await stack.deps.prisma.backtestBatch.findMany({ where: { owner: trader.owner, status: 'COMPLETED' }, orderBy: { queuedAt: 'desc' } });
    expect(batches).toHaveLength(2);
    await expect(batchRows.count()).resolves.toBe(2);
    expect(await batchRows.first().getAttribute('data-id')).toBe(Buffer.from(`BacktestBatch:${batches[0]!.id}`).toString('base64'));
    await batchRows.first().click();
    const children = page.getByRole('table', { name: 'Batch results' }).locator('tbody tr');
    await page.getByTestId('batch-summary').waitFor();
    await expect(children.count()).resolves.toBe(10);
    expect(new Set(await children.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-symbol'))))).toEqual(new Set(batches[0]!.symbols));
    await children.first().click();
    await page.getByTestId('run-status').filter({ hasText: 'COMPLETED' }).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-history.png`, fullPage: true });
    await statusFilter.selectOption('FAILED');
    await page.getByText('No batches with status FAILED yet.').waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shades the bars a coverage gap touches', async () => {
    const { page, problems } = await open();
    await page.getByLabel('Search instruments').fill(gapSymbol);
    await page.locator(`button[data-symbol="${gapSymbol}"]`).click();
    const note = page.getByTestId('chart-gaps');
    await note.waitFor();
    // At the chart's interval (3d here), the 5-day hole touches two or three bars and is no
    // wider than one bar's gap in slots.
    const shaded = Number(/(\d+) bars touch/.exec((await note.textContent())!)![1]);
    expect(shaded).toBeGreaterThanOrEqual(1);
    expect(shaded).toBeLessThanOrEqual(4);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-gaps.png` });
    expect(problems).toEqual([]);
    await page.close();
  });
});
