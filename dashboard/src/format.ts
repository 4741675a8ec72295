/** Prices with as many decimals as their size needs; changes as signed percentages. */
export function formatPrice(value: number): string {
  const digits = value >= 1000 ? 2 : value >= 1 ? 4 : 6;
  return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits });
}

export function formatChange(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return '—';
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(2)}%`;
}

export const changeClass = (fraction: number | null | undefined) => (fraction === null || fraction === undefined ? '' : fraction >= 0 ? 'up' : 'down');
