/**
 * The candle intervals clients may ask for (DESIGN.md §3), with their PostgreSQL interval
 * literal and length. Months are calendar months (variable length); everything else is a
 * fixed number of milliseconds, a day counting as 24 hours (UTC has no DST).
 */
export const INTERVAL_NAMES = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '12h', '1d', '3d', '1w', '1M'] as const;
export type IntervalName = (typeof INTERVAL_NAMES)[number];

export interface IntervalSpec {
  name: IntervalName;
  /** PostgreSQL interval literal, e.g. '15 minutes'. */
  sql: string;
  /** Length in ms for fixed intervals; null for calendar months. */
  ms: number | null;
  /** Number of calendar months for month intervals; 0 otherwise. */
  months: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const INTERVALS: Record<IntervalName, IntervalSpec> = {
  '1m': { name: '1m', sql: '1 minute', ms: MINUTE, months: 0 },
  '3m': { name: '3m', sql: '3 minutes', ms: 3 * MINUTE, months: 0 },
  '5m': { name: '5m', sql: '5 minutes', ms: 5 * MINUTE, months: 0 },
  '15m': { name: '15m', sql: '15 minutes', ms: 15 * MINUTE, months: 0 },
  '30m': { name: '30m', sql: '30 minutes', ms: 30 * MINUTE, months: 0 },
  '1h': { name: '1h', sql: '1 hour', ms: HOUR, months: 0 },
  '2h': { name: '2h', sql: '2 hours', ms: 2 * HOUR, months: 0 },
  '4h': { name: '4h', sql: '4 hours', ms: 4 * HOUR, months: 0 },
  '6h': { name: '6h', sql: '6 hours', ms: 6 * HOUR, months: 0 },
  '12h': { name: '12h', sql: '12 hours', ms: 12 * HOUR, months: 0 },
  '1d': { name: '1d', sql: '1 day', ms: DAY, months: 0 },
  '3d': { name: '3d', sql: '3 days', ms: 3 * DAY, months: 0 },
  '1w': { name: '1w', sql: '7 days', ms: 7 * DAY, months: 0 },
  '1M': { name: '1M', sql: '1 month', ms: null, months: 1 },
};

export function isIntervalName(value: string): value is IntervalName {
  return Object.hasOwn(INTERVALS, value);
}
