import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDatabase, type Database } from '../../src/db/pool.js';
import { BinaryCopyDecoder, BinaryCopyRowDecoder, copyByteRowsInto, copyByteRowsOut, copyColumnsInto, copyRowsOut, encodeBinaryCopy } from '../../src/db/binary-copy.js';

/**
 * The hand-written binary COPY encoder against a real server: every value must come back
 * exactly (bit for bit for floats, to the millisecond for times), on both sides of the
 * 2000-01-01 epoch PostgreSQL counts from, and across chunk boundaries.
 */
describe('binary COPY encoder', () => {
  let db: Database;
  beforeAll(() => {
    db = createDatabase({ url: process.env.TEST_DATABASE_URL!, max: 2, statementTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await db.pool.end();
  });

  async function roundTrip(times: number[], values: number[]) {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('CREATE TEMPORARY TABLE copy_check (ts timestamptz, v float8, n serial) ON COMMIT DROP');
      const copied = await copyColumnsInto(client, 'copy_check', ['ts', 'v'], [
        { type: 'timestamptz', values: Float64Array.from(times) },
        { type: 'float8', values: Float64Array.from(values) },
      ]);
      const { rows } = await client.query<{ ms: number; iso: string; v: number; bits: string }>(
        `SELECT (extract(epoch FROM ts) * 1000)::float8 AS ms,
                to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS iso,
                v, float8send(v)::text AS bits
         FROM copy_check ORDER BY n`,
      );
      await client.query('COMMIT');
      return { copied, rows };
    } finally {
      client.release();
    }
  }

  it('round-trips times before, at and after 2000-01-01 and extreme doubles exactly', async () => {
    const times = [
      Date.UTC(2000, 0, 1),
      Date.UTC(2000, 0, 1) - 1,
      Date.UTC(2000, 0, 1) + 1,
      0,
      Date.UTC(1900, 1, 28, 23, 59, 59, 999),
      Date.UTC(2026, 10, 23, 11, 30),
      Date.UTC(2262, 3, 11, 23, 47, 16, 854),
      -1,
    ];
    const values = [0, -0, 1e-300, Number.MAX_VALUE, -Number.MAX_VALUE, 123456.789, 5e-324, 0.1 + 0.2];
    const { copied, rows } = await roundTrip(times, values);
    expect(copied).toBe(times.length);
    expect(rows.map((r) => r.ms)).toEqual(times);
    expect(rows.map((r) => r.iso)).toEqual(times.map((t) => new Date(t).toISOString()));
    // Bit patterns, so -0 and the smallest subnormal are told apart from 0.
    const expectedBits = values.map((v) => {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      return `\\x${b.toString('hex')}`;
    });
    expect(rows.map((r) => r.bits)).toEqual(expectedBits);
  });

  it('streams more rows than one chunk holds, in order', async () => {
    const n = 150_000; // > 2 chunks of 65,536 rows
    const times = Array.from({ length: n }, (_, i) => Date.UTC(2020, 0, 1) + i * 60_000);
    const values = Array.from({ length: n }, (_, i) => i * 0.5);
    const { copied, rows } = await roundTrip(times, values);
    expect(copied).toBe(n);
    expect(rows).toHaveLength(n);
    expect(rows[0]!.ms).toBe(times[0]);
    expect(rows[n - 1]!.ms).toBe(times[n - 1]);
    expect(rows.every((r, i) => r.ms === times[i] && r.v === values[i])).toBe(true);
  });

  it('rejects columns of different lengths before sending anything', () => {
    const gen = encodeBinaryCopy(2, [
      { type: 'float8', values: new Float64Array(2) },
      { type: 'float8', values: new Float64Array(3) },
    ]);
    expect(() => gen.next()).toThrow('binary COPY columns differ in length');
  });

  it('decodes what it encodes, whatever the chunk boundaries', () => {
    const times = Float64Array.from([Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 0, 1), Date.UTC(2024, 5, 1, 12)]);
    const values = Float64Array.from([-1.5, 0, 1e300]);
    const payload = Buffer.concat([...encodeBinaryCopy(3, [{ type: 'timestamptz', values: times }, { type: 'float8', values }])]);
    for (const size of [1, 3, 7, 26, payload.length]) {
      const rows: number[][] = [];
      const decoder = new BinaryCopyDecoder(['timestamptz', 'float8'], (r) => rows.push(Array.from(r)));
      for (let at = 0; at < payload.length; at += size) decoder.push(payload.subarray(at, at + size));
      decoder.finish();
      expect(rows).toEqual([0, 1, 2].map((i) => [times[i], values[i]]));
    }
    const cut = new BinaryCopyDecoder(['timestamptz', 'float8'], () => undefined);
    cut.push(payload.subarray(0, payload.length - 5));
    expect(() => cut.finish()).toThrow('binary COPY stream ended early');
  });

  it('reads a query result from the server: int4, float8, timestamptz and NULL', async () => {
    const client = await db.pool.connect();
    const rows: number[][] = [];
    try {
      const n = await copyRowsOut(
        client,
        `SELECT * FROM (VALUES (-7, 2.5::float8, timestamptz '1990-06-30 12:00:00.123+00'),
                               (2147483647, NULL, NULL),
                               (0, -0.000001::float8, timestamptz '2030-01-01 00:00:00+00')) AS v(i, f, t)`,
        ['int4', 'float8', 'timestamptz'],
        (r) => rows.push(Array.from(r)),
      );
      expect(n).toBe(3);
    } finally {
      client.release();
    }
    expect(rows).toEqual([
      [-7, 2.5, Date.UTC(1990, 5, 30, 12, 0, 0, 123)],
      [2147483647, Number.NaN, Number.NaN],
      [0, -0.000001, Date.UTC(2030, 0, 1)],
    ]);
  });

  it('writes rows of byte strings and int4s as they are (packed results), and refuses a malformed row before sending anything', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('CREATE TEMP TABLE copy_bytes (id bytea, n int4, a bytea, b bytea)');
      const big = Buffer.alloc(300_000, 7);
      const rows = [
        [Buffer.from('0001', 'hex'), { int4: 5 }, big, Buffer.alloc(0)],
        [Buffer.from('ff', 'hex'), { int4: -1 }, Buffer.from('abc'), Buffer.from('de', 'hex')],
      ];
      expect(await copyByteRowsInto(client, 'copy_bytes', ['id', 'n', 'a', 'b'], rows)).toBe(2);
      const { rows: stored } = await client.query(`SELECT encode(id, 'hex') AS id, n, length(a) AS a, md5(a) = md5($1::bytea) AS same, encode(b, 'hex') AS b FROM copy_bytes ORDER BY n`, [big]);
      expect(stored).toEqual([
        { id: 'ff', n: -1, a: 3, same: false, b: 'de' },
        { id: '0001', n: 5, a: 300_000, same: true, b: '' },
      ]);
      await expect(copyByteRowsInto(client, 'copy_bytes', ['id', 'n', 'a', 'b'], [[Buffer.from('01', 'hex'), { int4: 1 }]])).rejects.toThrow(/4 fields/);
      // Nothing was sent: the connection is not left in COPY mode, the table is unchanged.
      expect((await client.query('SELECT count(*)::int AS n FROM copy_bytes')).rows[0].n).toBe(2);
    } finally {
      client.release();
    }
  });

  it('reads rows with byte strings of any size, whatever the chunk boundaries (candle blocks)', async () => {
    const client = await db.pool.connect();
    const payload: Buffer[] = [];
    const expected: Array<[number, string]> = [];
    try {
      // Byte strings from empty to 200 KB (several socket chunks), and a NULL.
      const query = `SELECT g, CASE WHEN g = 3 THEN NULL ELSE decode(repeat(lpad(to_hex(g), 2, '0'), (g * g * 997) % 200000), 'hex') END
                     FROM generate_series(0, 40) g`;
      const n = await copyByteRowsOut(client, query, ['int4', 'bytea'], (f) => expected.push([f[0] as number, Buffer.isBuffer(f[1]) ? (f[1] as Buffer).toString('hex') : 'NULL']));
      expect(n).toBe(41);
      // The raw stream, to decode again with other chunkings.
      const { to } = await import('pg-copy-streams');
      for await (const chunk of client.query(to(`COPY (${query}) TO STDOUT (FORMAT binary)`))) payload.push(chunk as Buffer);
    } finally {
      client.release();
    }
    expect(expected[3]).toEqual([3, 'NULL']);
    expect(expected[40]![1]).toBe('28'.repeat((40 * 40 * 997) % 200000));
    const whole = Buffer.concat(payload);
    for (const size of [1, 5, 4096, 65536, whole.length]) {
      const rows: Array<[number, string]> = [];
      const decoder = new BinaryCopyRowDecoder(['int4', 'bytea'], (f) => rows.push([f[0] as number, Buffer.isBuffer(f[1]) ? (f[1] as Buffer).toString('hex') : 'NULL']));
      for (let at = 0; at < whole.length; at += size) decoder.push(whole.subarray(at, at + size));
      decoder.finish();
      expect(rows).toEqual(expected);
    }
  });
});
