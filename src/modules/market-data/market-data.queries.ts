import { ValidationError } from '../../lib/errors.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { findMarketSummaries, findTopMovers, type MarketSummaryRow } from './candle.store.js';
import { SYMBOL_PATTERN } from './ingest.validation.js';
import type { MarketDataDeps } from './market-data.service.js';

/** Prisma filter for instruments(search:): a prefix of the symbol, or of the name ignoring case. */
export function listInstrumentsWhere(search: string | null | undefined): Prisma.InstrumentWhereInput {
  if (search === null || search === undefined || search.trim() === '') return {};
  const s = search.trim();
  if (s.length > 64) throw new ValidationError([{ path: ['search'], message: 'must be at most 64 characters' }]);
  return { OR: [{ symbol: { startsWith: s.toUpperCase() } }, { name: { startsWith: s, mode: 'insensitive' } }] };
}

/**
 * Summary rows for `symbols` (all instruments when null), by symbol.
 * @throws ValidationError for malformed symbols or more than 1000 of them.
 */
export async function getMarketSummary(deps: MarketDataDeps, symbols: readonly string[] | null): Promise<MarketSummaryRow[]> {
  if (symbols === null) return findMarketSummaries(deps.db.pool, null);
  const issues = symbols.flatMap((s, i) => (SYMBOL_PATTERN.test(s) ? [] : [{ path: ['symbols', String(i)], message: `${JSON.stringify(s)} is not a valid symbol` }]));
  if (symbols.length > 1000) issues.push({ path: ['symbols'], message: 'at most 1000 symbols' });
  if (issues.length) throw new ValidationError(issues);
  const instruments = await deps.prisma.instrument.findMany({ where: { symbol: { in: [...symbols] } }, select: { id: true } });
  if (instruments.length === 0) return [];
  return findMarketSummaries(deps.db.pool, instruments.map((i) => i.id));
}

/**
 * Top gainers or losers over a window.
 * @throws ValidationError when limit is outside 1..100.
 */
export async function getTopMovers(
  deps: MarketDataDeps,
  window: 'change_24h' | 'change_7d' | 'change_30d',
  direction: 'DESC' | 'ASC',
  limit: number,
): Promise<MarketSummaryRow[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new ValidationError([{ path: ['limit'], message: 'must be a whole number from 1 to 100' }]);
  }
  return findTopMovers(deps.db.pool, window, direction, limit);
}
