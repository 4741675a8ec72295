import type { PrismaClient } from '../../db/prisma.js';
import type { Instrument, Prisma } from '../../generated/prisma/client.js';

/** Selection a GraphQL resolver passes through (the Pothos prisma plugin's `query`). */
export type InstrumentQuery = { include?: Prisma.InstrumentInclude; select?: Prisma.InstrumentSelect };

/** What other modules need of an instrument to plan and key a run. */
export interface InstrumentRef {
  id: number;
  symbol: string;
  baseInterval: string;
  dataVersion: bigint;
  /** The data version candle_1h / candle_1d reflect (behind dataVersion: read raw bars). */
  aggregatesVersion: bigint;
}

/** Whether the instrument's candle_1h / candle_1d reflect its current data. */
export function aggregatesFresh(instrument: Pick<InstrumentRef, 'dataVersion' | 'aggregatesVersion'>): boolean {
  return instrument.aggregatesVersion === instrument.dataVersion;
}

const REF = { id: true, symbol: true, baseInterval: true, dataVersion: true, aggregatesVersion: true } as const;

/** Prisma access to `instrument` (reads; ingest writes it with raw SQL in its transaction). */
export class InstrumentRepository {
  constructor(private readonly prisma: PrismaClient) {}

  findBySymbol(symbol: string, query: InstrumentQuery = {}): Promise<Instrument | null> {
    return this.prisma.instrument.findUnique({ ...query, where: { symbol } });
  }

  getById(id: number, query: InstrumentQuery = {}): Promise<Instrument> {
    return this.prisma.instrument.findUniqueOrThrow({ ...query, where: { id } });
  }

  findRefBySymbol(symbol: string): Promise<InstrumentRef | null> {
    return this.prisma.instrument.findUnique({ where: { symbol }, select: REF });
  }

  listRefsBySymbols(symbols: readonly string[]): Promise<InstrumentRef[]> {
    return this.prisma.instrument.findMany({ where: { symbol: { in: [...symbols] } }, select: REF });
  }

  listRefsByIds(ids: readonly number[]): Promise<InstrumentRef[]> {
    return this.prisma.instrument.findMany({ where: { id: { in: [...ids] } }, select: REF });
  }

  /** A page of instruments by symbol (the `instruments` connection). */
  list(where: Prisma.InstrumentWhereInput, query: InstrumentQuery & { take?: number; skip?: number; cursor?: Prisma.InstrumentWhereUniqueInput }): Promise<Instrument[]> {
    return this.prisma.instrument.findMany({ ...query, where, orderBy: { symbol: 'asc' } });
  }

  count(): Promise<number> {
    return this.prisma.instrument.count();
  }
}
