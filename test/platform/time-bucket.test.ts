import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { INTERVALS, type IntervalName } from '../../src/lib/intervals.js';
import { referenceTimeBucket } from '../helpers/time-bucket-reference.js';

/**
 * The same bucketing queries on both dialects, compared with each other and with an
 * independent reference: the portable SQL time_bucket/first/last must give TimescaleDB's
 * results. On the services path both a TimescaleDB and a portable database exist; on the
 * embedded path only the portable one, checked against the reference.
 */
const timescale = process.env.TEST_TIMESCALEDB === '1';
const targets: Array<{ name: string; url: string }> = [
  { name: 'portable', url: process.env.TEST_PORTABLE_DATABASE_URL! },
  ...(timescale ? [{ name: 'timescaledb', url: process.env.TEST_DATABASE_URL! }] : []),
];
const pools = new Map<string, pg.Pool>();

beforeAll(() => {
  for (const t of targets) pools.set(t.name, new pg.Pool({ connectionString: t.url, max: 2, options: '-c TimeZone=UTC' }));
});
afterAll(async () => {
  for (const pool of pools.values()) await pool.end();
});

const COMPARED: IntervalName[] = ['1m', '5m', '15m', '1h', '4h', '1d', '1w', '1M'];
const ANCHORS = [
  '1969-07-20T20:17:40Z',
  '1970-01-01T00:00:00Z',
  '1987-10-19T13:30:00Z',
  '1999-12-31T23:59:59.999Z',
  '2000-01-01T00:00:00Z',
  '2000-01-02T23:59:59Z',
  '2000-01-03T00:00:00Z',
  '2004-02-29T12:00:00Z',
  '2020-03-09T13:37:11.123Z',
  '2024-12-31T23:59:59Z',
  '2038-01-19T03:14:08Z',
].map((s) => Date.parse(s));

/** Anchors, plus for every anchor its bucket's exact edges and the instants 1 ms either side. */
function timestampsFor(interval: IntervalName): number[] {
  const spec = INTERVALS[interval];
  const out = new Set<number>();
  for (const t of ANCHORS) {
    const edge = referenceTimeBucket(spec, t);
    for (const x of [t, edge, edge - 1, edge + 1, t - 1, t + 1]) out.add(x);
  }
  return [...out].sort((a, b) => a - b);
}

async function bucketsIn(pool: pg.Pool, interval: IntervalName, times: number[]): Promise<number[]> {
  const { rows } = await pool.query<{ b: Date }>(
    `/* bucketsIn */
     SELECT time_bucket($1::interval, t) AS b
     FROM unnest($2::timestamptz[]) WITH ORDINALITY AS u(t, i) ORDER BY i`,
    [INTERVALS[interval].sql, times.map((t) => new Date(t).toISOString())],
  );
  return rows.map((r) => r.b.getTime());
}

describe.each(COMPARED)('time_bucket(%s)', (interval) => {
  const times = timestampsFor(interval);
  const expected = times.map((t) => referenceTimeBucket(INTERVALS[interval], t));

  it.each(targets.map((t) => t.name))('on %s equals TimescaleDB semantics, on and just off bucket edges', async (target) => {
    const actual = await bucketsIn(pools.get(target)!, interval, times);
    expect(actual.map((t) => new Date(t).toISOString())).toEqual(expected.map((t) => new Date(t).toISOString()));
  });
});

describe('time_bucket at microsecond precision', () => {
  it('agrees across dialects for instants 1 µs either side of an edge', async () => {
    const sql = `/* microEdges */
      SELECT time_bucket(w::interval, t)::text AS b FROM
        unnest(ARRAY['1 minute', '1 hour', '1 day', '7 days', '1 month']) AS w,
        unnest(ARRAY['2000-01-03 00:00:00.000001+00', '2000-01-02 23:59:59.999999+00',
                     '1999-12-31 23:59:59.999999+00', '1970-01-01 00:00:00.000001+00',
                     '2024-06-30 23:59:59.999999+00']::timestamptz[]) AS t
      ORDER BY w, t`;
    const results = await Promise.all(targets.map(async (t) => (await pools.get(t.name)!.query<{ b: string }>(sql)).rows.map((r) => r.b)));
    expect(results[0]).toContain('1999-12-27 00:00:00+00'); // week containing 2000-01-02 starts Monday 1999-12-27
    expect(results[0]).toContain('1999-12-01 00:00:00+00');
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
  });
});

describe('first/last aggregates', () => {
  it('return the values at the earliest and latest time of each bucket, whatever the input order', async () => {
    const sql = `/* firstLast */
      SELECT time_bucket(INTERVAL '1 hour', t) AS b, first(v, t) AS f, last(v, t) AS l, count(*)::int AS n
      FROM unnest($1::timestamptz[], $2::float8[]) AS u(t, v)
      GROUP BY 1 ORDER BY 1`;
    // Deliberately unordered input spanning two hourly buckets.
    const times = ['2024-01-01T10:30:00Z', '2024-01-01T10:00:00Z', '2024-01-01T10:59:59Z', '2024-01-01T11:15:00Z', '2024-01-01T11:00:00Z'];
    const values = [2, 1, 3, 5, 4];
    for (const target of targets) {
      const { rows } = await pools.get(target.name)!.query<{ b: Date; f: number; l: number; n: number }>(sql, [times, values]);
      expect(rows.map((r) => [r.b.toISOString(), r.f, r.l, r.n])).toEqual([
        ['2024-01-01T10:00:00.000Z', 1, 3, 3],
        ['2024-01-01T11:00:00.000Z', 4, 5, 2],
      ]);
    }
  });

  it('ignore NULL times as TimescaleDB does', async () => {
    for (const target of targets) {
      const { rows } = await pools.get(target.name)!.query<{ f: number; l: number }>(
        `SELECT first(v, t) AS f, last(v, t) AS l FROM (VALUES (1.0::float8, NULL::timestamptz), (2.0, '2024-01-01'::timestamptz), (3.0, '2024-01-02'::timestamptz)) AS x(v, t)`,
      );
      expect(rows[0]).toEqual({ f: 2, l: 3 });
    }
  });
});

describe('invalid widths', () => {
  it.each(targets.map((t) => t.name))('%s rejects a zero width', async (target) => {
    await expect(pools.get(target)!.query(`SELECT time_bucket(INTERVAL '0 seconds', now())`)).rejects.toThrow();
  });
});
