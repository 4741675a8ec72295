import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html,
 * "Binary Format") for fixed-width numeric columns held in typed arrays.
 *
 * Written here rather than with pg-copy-streams-binary: that package builds an object per
 * field and a Buffer per value, which costs more than the COPY itself at hundreds of
 * thousands of rows; these columns are all fixed-width, so each chunk is one preallocated
 * Buffer filled in a single pass. pg-copy-streams still speaks the protocol.
 */
export type BinaryColumn =
  /** float8 from a JS number. */
  | { type: 'float8'; values: Float64Array }
  /** timestamptz from epoch milliseconds (sent as microseconds since 2000-01-01 UTC). */
  | { type: 'timestamptz'; values: Float64Array };

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_POW_32 = 2 ** 32;
/** Rows per Buffer handed to the socket: ~5 MB chunks keep memory flat for any row count. */
const ROWS_PER_CHUNK = 65_536;

/** The COPY payload for `columns` (equal lengths), as a sequence of Buffers. */
export function* encodeBinaryCopy(columns: readonly BinaryColumn[]): Generator<Buffer> {
  const rows = columns[0]?.values.length ?? 0;
  if (columns.some((c) => c.values.length !== rows)) throw new Error('binary COPY columns differ in length');
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header, 0); // then flags (0) and header-extension length (0)
  yield header;
  // Per row: field count (int16), then per field its length (int32) and 8 bytes of value.
  const rowBytes = 2 + columns.length * 12;
  for (let start = 0; start < rows; start += ROWS_PER_CHUNK) {
    const end = Math.min(rows, start + ROWS_PER_CHUNK);
    const buffer = Buffer.allocUnsafe((end - start) * rowBytes);
    let at = 0;
    for (let i = start; i < end; i++) {
      buffer.writeInt16BE(columns.length, at);
      at += 2;
      for (const column of columns) {
        buffer.writeInt32BE(8, at);
        at += 4;
        const v = column.values[i]!;
        if (column.type === 'float8') {
          buffer.writeDoubleBE(v, at);
        } else {
          // int64 microseconds, written as two 32-bit halves: exact for |µs| < 2^53,
          // i.e. every time a JS Date can hold, and no BigInt per row.
          const micros = (v - PG_EPOCH_MS) * 1000;
          const high = Math.floor(micros / TWO_POW_32);
          buffer.writeInt32BE(high, at);
          buffer.writeUInt32BE(micros - high * TWO_POW_32, at + 4);
        }
        at += 8;
      }
    }
    yield buffer;
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  yield trailer;
}

/**
 * Streams `columns` into `table (columnNames)` with COPY … FROM STDIN (FORMAT binary) on
 * `client`, with backpressure; resolves to the number of rows copied.
 */
export async function copyColumnsInto(
  client: pg.PoolClient,
  table: string,
  columnNames: readonly string[],
  columns: readonly BinaryColumn[],
): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table} (${columnNames.join(', ')}) FROM STDIN (FORMAT binary)`));
  await pipeline(encodeBinaryCopy(columns), stream);
  return stream.rowCount;
}
