/**
 * Per-bar signal flags a strategy writes into an Int8Array (one byte per bar), computed
 * at the bar's close from data up to and including that bar. Several may be set at once
 * (a bearish crossover is both LONG_EXIT and SHORT_ENTRY). The simulator decides what
 * they mean given the current position and whether shorting is allowed.
 */
export const LONG_ENTRY = 1;
export const LONG_EXIT = 2;
export const SHORT_ENTRY = 4;
export const SHORT_EXIT = 8;
