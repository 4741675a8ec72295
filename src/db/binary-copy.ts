import { finished, pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/**
 * PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html,
 * "Binary Format") for columns held in typed arrays, both ways: writing columns in (candle
 * ingest, trades) and reading query results out (batch candle reads), with no text
 * formatting or parsing and no object per row.
 *
 * Written here rather than with pg-copy-streams-binary: that package builds an object per
 * field and a Buffer per value, which costs more than the COPY itself at hundreds of
 * thousands of rows; here each chunk of rows is one Buffer, sized first and filled in a
 * single pass. pg-copy-streams still speaks the protocol.
 */
export type BinaryColumn =
  /** float8 from a JS number. */
  | { type: 'float8'; values: ArrayLike<number> }
  /** int4 from a JS integer. */
  | { type: 'int4'; values: ArrayLike<number> }
  /** timestamptz from epoch milliseconds (sent as microseconds since 2000-01-01 UTC). */
  | { type: 'timestamptz'; values: ArrayLike<number> }
  /** A value already in its binary form (a uuid's 16 bytes, UTF-8 text), row by row. */
  | { type: 'bytes'; at: (row: number) => Buffer };

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_POW_32 = 2 ** 32;
/** Rows per Buffer handed to the socket: a few MB per chunk keeps memory flat for any row count. */
const ROWS_PER_CHUNK = 65_536;

const fixedBytes = (type: BinaryColumn['type']) => (type === 'int4' ? 4 : type === 'bytes' ? 0 : 8);

/** The COPY payload for `rows` rows of `columns`, as a sequence of Buffers. */
export function* encodeBinaryCopy(rows: number, columns: readonly BinaryColumn[]): Generator<Buffer> {
  if (columns.some((c) => c.type !== 'bytes' && c.values.length !== rows)) throw new Error('binary COPY columns differ in length');
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header, 0); // then flags (0) and header-extension length (0)
  yield header;
  // Per row: field count (int16), then per field its length (int32) and its bytes.
  const fixedRowBytes = 2 + columns.reduce((sum, c) => sum + 4 + fixedBytes(c.type), 0);
  const hasBytes = columns.some((c) => c.type === 'bytes');
  for (let start = 0; start < rows; start += ROWS_PER_CHUNK) {
    const end = Math.min(rows, start + ROWS_PER_CHUNK);
    let size = (end - start) * fixedRowBytes;
    if (hasBytes) {
      for (const column of columns) {
        if (column.type === 'bytes') for (let i = start; i < end; i++) size += column.at(i).length;
      }
    }
    const buffer = Buffer.allocUnsafe(size);
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    let at = 0;
    for (let i = start; i < end; i++) {
      view.setInt16(at, columns.length);
      at += 2;
      for (const column of columns) {
        if (column.type === 'bytes') {
          const bytes = column.at(i);
          view.setInt32(at, bytes.length);
          bytes.copy(buffer, at + 4);
          at += 4 + bytes.length;
          continue;
        }
        const v = column.values[i]!;
        if (column.type === 'int4') {
          view.setInt32(at, 4);
          view.setInt32(at + 4, v);
          at += 8;
          continue;
        }
        view.setInt32(at, 8);
        if (column.type === 'float8') {
          view.setFloat64(at + 4, v);
        } else {
          // int64 microseconds, written as two 32-bit halves: exact for |µs| < 2^53,
          // i.e. every time a JS Date can hold, and no BigInt per row.
          const micros = (v - PG_EPOCH_MS) * 1000;
          const high = Math.floor(micros / TWO_POW_32);
          view.setInt32(at + 4, high);
          view.setUint32(at + 8, micros - high * TWO_POW_32);
        }
        at += 12;
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
  const rows = columns.find((c) => c.type !== 'bytes')?.values.length;
  if (rows === undefined) throw new Error('binary COPY needs at least one column of values');
  const stream = client.query(copyFrom(`COPY ${table} (${columnNames.join(', ')}) FROM STDIN (FORMAT binary)`));
  await pipeline(encodeBinaryCopy(rows, columns), stream);
  return stream.rowCount;
}

/** A field of copyByteRowsInto: an int4, or bytes already in the column's binary form. */
export type BinaryRowField = { int4: number } | Buffer;

/**
 * COPY … FROM STDIN (FORMAT binary) of rows whose fields are mostly large byte strings
 * (packed result columns): each string goes to the socket as the Buffer it is — no copy into
 * a statement or a chunk (node-pg's bind message grows by copying, and every copy of megabytes
 * lands in memory the process has not touched). Only the small framing is allocated. Every
 * piece is written in one tick, so the socket sends them with a few writev calls.
 */
export async function copyByteRowsInto(client: pg.PoolClient, table: string, columnNames: readonly string[], rows: ReadonlyArray<readonly BinaryRowField[]>): Promise<number> {
  // Checked before anything is sent: a COPY cut off midway would leave the connection in COPY mode.
  if (rows.some((row) => row.length !== columnNames.length)) throw new Error(`binary COPY rows must have ${columnNames.length} fields`);
  const stream = client.query(copyFrom(`COPY ${table} (${columnNames.join(', ')}) FROM STDIN (FORMAT binary)`));
  const done = finished(stream);
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header, 0);
  stream.write(header);
  for (const row of rows) {
    // The framing between byte strings — the field count first, then each field's length
    // and int4 values — as small Buffers; the byte strings themselves as they are.
    let words: number[] = [];
    let first = true;
    const frame = () => {
      const bytes = Buffer.allocUnsafe((first ? 2 : 0) + words.length * 4);
      let at = first ? bytes.writeInt16BE(row.length, 0) : 0;
      for (const word of words) at = bytes.writeInt32BE(word, at);
      first = false;
      words = [];
      return bytes;
    };
    for (const field of row) {
      if (!Buffer.isBuffer(field)) {
        words.push(4, field.int4);
        continue;
      }
      words.push(field.length);
      stream.write(frame());
      stream.write(field);
    }
    if (first || words.length) stream.write(frame());
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  stream.end(trailer);
  await done;
  return stream.rowCount;
}

/** Column types a binary COPY result may hold here; each is decoded to a JS number. */
export type BinaryFieldType = 'int4' | 'float8' | 'timestamptz';

/**
 * Decodes a binary COPY stream chunk by chunk (rows may straddle chunks). For every row,
 * `onRow` receives the same Float64Array refilled with that row's fields: int4 as is,
 * float8 as is, timestamptz as epoch milliseconds, NULL as NaN.
 */
export class BinaryCopyDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private headerRead = false;
  private ended = false;
  private readonly row: Float64Array;
  private readonly maxRowBytes: number;
  rows = 0;

  constructor(
    private readonly types: readonly BinaryFieldType[],
    private readonly onRow: (row: Float64Array) => void,
  ) {
    this.row = new Float64Array(types.length);
    this.maxRowBytes = 2 + types.reduce((sum, t) => sum + 4 + fixedBytes(t), 0);
  }

  push(chunk: Buffer): void {
    const buffer = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    if (!this.headerRead) {
      if (buffer.length < SIGNATURE.length + 8) {
        this.pending = buffer;
        return;
      }
      if (!buffer.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
      at = SIGNATURE.length + 8 + buffer.readInt32BE(SIGNATURE.length + 4);
      this.headerRead = true;
    }
    const { types, row } = this;
    // DataView reads are inlined by V8; Buffer's readXxxBE helpers cost ~2× more per field.
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    for (;;) {
      if (this.ended || buffer.length - at < 2) break;
      const fields = view.getInt16(at);
      if (fields === -1) {
        this.ended = true;
        at += 2;
        break;
      }
      if (fields !== types.length) throw new Error(`binary COPY row has ${fields} fields, expected ${types.length}`);
      // A row is at most maxRowBytes long (a NULL only shortens it): field lengths need
      // checking ahead only near the end of a chunk, where a row may be cut.
      if (buffer.length - at < this.maxRowBytes && !rowComplete(buffer, at + 2, fields)) break;
      let p = at + 2;
      for (let f = 0; f < fields; f++) {
        const length = view.getInt32(p);
        p += 4;
        if (length === -1) {
          row[f] = Number.NaN;
          continue;
        }
        const type = types[f]!;
        if (length !== fixedBytes(type)) throw new Error(`binary COPY field ${f} has ${length} bytes, expected a ${type}`);
        if (type === 'float8') row[f] = view.getFloat64(p);
        else if (type === 'int4') row[f] = view.getInt32(p);
        else row[f] = (view.getInt32(p) * TWO_POW_32 + view.getUint32(p + 4)) / 1000 + PG_EPOCH_MS;
        p += length;
      }
      at = p;
      this.rows += 1;
      this.onRow(row);
    }
    this.pending = at < buffer.length ? Buffer.from(buffer.subarray(at)) : Buffer.alloc(0);
  }

  /** Throws when the stream stopped mid-row or before its trailer. */
  finish(): void {
    if (!this.ended || this.pending.length) throw new Error('binary COPY stream ended early');
  }
}

/** Are all `fields` of the row whose first field length is at `at` inside `buffer`? */
function rowComplete(buffer: Buffer, at: number, fields: number): boolean {
  for (let f = 0; f < fields; f++) {
    if (buffer.length - at < 4) return false;
    const length = buffer.readInt32BE(at);
    at += 4 + (length > 0 ? length : 0);
    if (at > buffer.length) return false;
  }
  return true;
}

/**
 * Runs `COPY (query) TO STDOUT (FORMAT binary)` on `client` and decodes every row (see
 * BinaryCopyDecoder); resolves to the number of rows. COPY takes no bind parameters: the
 * caller inlines only values it has checked (numbers, identifiers from a fixed list).
 */
export async function copyRowsOut(
  client: pg.PoolClient,
  query: string,
  types: readonly BinaryFieldType[],
  onRow: (row: Float64Array) => void,
): Promise<number> {
  const decoder = new BinaryCopyDecoder(types, onRow);
  const stream = client.query(copyTo(`COPY (${query}) TO STDOUT (FORMAT binary)`));
  for await (const chunk of stream) decoder.push(chunk as Buffer);
  decoder.finish();
  return decoder.rows;
}

/** Field types of a binary COPY result with byte strings (few, large rows: candle blocks). */
export type BinaryRowFieldType = BinaryFieldType | 'bytea';

/**
 * Decodes a binary COPY stream whose rows hold byte strings — a few thousand rows of up to
 * hundreds of KB each, where BinaryCopyDecoder handles millions of small fixed-size rows.
 * Incoming chunks are kept in a list and joined once a whole row is there (a 100 KB row
 * spans several socket chunks), so every byte is copied at most twice. For each row
 * `onRow` gets its fields: numbers as BinaryCopyDecoder gives them, `bytea` as a Buffer
 * that is only valid during the call (copy what you keep).
 */
export class BinaryCopyRowDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the row at the head needs before it can be parsed (0: unknown yet). */
  private needed = 0;
  private headerRead = false;
  private ended = false;
  rows = 0;

  constructor(
    private readonly types: readonly BinaryRowFieldType[],
    private readonly onRow: (fields: ReadonlyArray<number | Buffer>) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.ended) {
      // Bytes after the trailer: kept, so finish() reports the stream as malformed.
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      return;
    }
    let rest = chunk;
    // A row begun in earlier chunks is completed with only the bytes it still needs: copying
    // just those (not the whole new chunk) keeps a large COPY at one pass over its bytes.
    while (this.buffered > 0) {
      const missing = this.needed - this.buffered;
      if (rest.length < missing) {
        this.chunks.push(rest);
        this.buffered += rest.length;
        return;
      }
      const head = Buffer.concat([...this.chunks, rest.subarray(0, missing)], this.needed);
      rest = rest.subarray(missing);
      this.keep(head, head.length, 0);
      // Parses the row, or keeps `head` again with what it turned out to need in all.
      this.parse(head);
    }
    if (rest.length) this.parse(rest);
  }

  /** Parses whole rows from `buffer`; keeps the incomplete tail (see keep). */
  private parse(buffer: Buffer): void {
    let at = 0;
    if (!this.headerRead) {
      if (buffer.length < SIGNATURE.length + 8) return this.keep(buffer, 0, SIGNATURE.length + 8);
      if (!buffer.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
      at = SIGNATURE.length + 8 + buffer.readInt32BE(SIGNATURE.length + 4);
      this.headerRead = true;
    }
    const fields: Array<number | Buffer> = new Array(this.types.length);
    for (;;) {
      if (this.ended) break;
      if (buffer.length - at < 2) return this.keep(buffer, at, 2);
      const count = buffer.readInt16BE(at);
      if (count === -1) {
        this.ended = true;
        at += 2;
        break;
      }
      if (count !== this.types.length) throw new Error(`binary COPY row has ${count} fields, expected ${this.types.length}`);
      // Walk the field lengths: the row is parsed only once all of it is here.
      let p = at + 2;
      for (let f = 0; f < count; f++) {
        if (buffer.length - p < 4) return this.keep(buffer, at, p + 4 - at);
        const length = buffer.readInt32BE(p);
        p += 4 + Math.max(0, length);
      }
      if (p > buffer.length) return this.keep(buffer, at, p - at);
      p = at + 2;
      for (let f = 0; f < count; f++) {
        const length = buffer.readInt32BE(p);
        p += 4;
        const type = this.types[f]!;
        if (length === -1) fields[f] = Number.NaN;
        else if (type === 'bytea') fields[f] = buffer.subarray(p, p + length);
        else if (length !== fixedBytes(type)) throw new Error(`binary COPY field ${f} has ${length} bytes, expected a ${type}`);
        else if (type === 'float8') fields[f] = buffer.readDoubleBE(p);
        else if (type === 'int4') fields[f] = buffer.readInt32BE(p);
        else fields[f] = (buffer.readInt32BE(p) * TWO_POW_32 + buffer.readUInt32BE(p + 4)) / 1000 + PG_EPOCH_MS;
        p += Math.max(0, length);
      }
      at = p;
      this.rows += 1;
      this.onRow(fields);
    }
    this.keep(buffer, at, 0);
  }

  /** Keeps buffer[from..] for the next chunk; the row there needs `need` bytes in all. */
  private keep(buffer: Buffer, from: number, need: number): void {
    const rest = buffer.subarray(from);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    this.needed = need;
  }

  /** Throws when the stream stopped mid-row or before its trailer. */
  finish(): void {
    if (!this.ended || this.buffered) throw new Error('binary COPY stream ended early');
  }
}

/**
 * Runs `COPY (query) TO STDOUT (FORMAT binary)` and decodes rows with byte strings (see
 * BinaryCopyRowDecoder); resolves to the number of rows. Inline only checked values.
 */
export async function copyByteRowsOut(
  client: pg.PoolClient,
  query: string,
  types: readonly BinaryRowFieldType[],
  onRow: (fields: ReadonlyArray<number | Buffer>) => void,
): Promise<number> {
  const decoder = new BinaryCopyRowDecoder(types, onRow);
  const stream = client.query(copyTo(`COPY (${query}) TO STDOUT (FORMAT binary)`));
  for await (const chunk of stream) decoder.push(chunk as Buffer);
  decoder.finish();
  return decoder.rows;
}
