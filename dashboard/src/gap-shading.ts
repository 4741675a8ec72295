import type { UTCTimestamp } from 'lightweight-charts';

export interface Gap {
  /** First missing bar (ms). */
  from: number;
  /** End of the hole, exclusive (ms). */
  to: number;
}

/** At most this many empty slots are added for holes wider than a bar (the chart stays light). */
const MAX_EMPTY_SLOTS = 2_000;

/**
 * Which drawn bars a coverage gap touches, and the empty slots a hole wider than a bar needs
 * so that it shows as space (lightweight-charts places bars by index, so a hole without
 * slots would vanish). `times` are the drawn bars' times in seconds, ascending.
 */
export function shadeGaps(times: readonly number[], gaps: readonly Gap[]): { shaded: UTCTimestamp[]; empty: UTCTimestamp[] } {
  if (times.length < 2 || gaps.length === 0) return { shaded: [], empty: [] };
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) step = Math.min(step, times[i]! - times[i - 1]!);
  const shaded = new Set<number>();
  const empty: number[] = [];
  const overlaps = (from: number, to: number) => gaps.some((g) => g.from / 1000 < to && g.to / 1000 > from);
  for (let i = 0; i < times.length; i++) {
    const start = times[i]!;
    const end = times[i + 1] ?? start + step;
    if (overlaps(start, start + step)) shaded.add(start);
    // A hole between this bar and the next: slots for it, shaded where a gap lies.
    for (let t = start + step; t < end && empty.length < MAX_EMPTY_SLOTS; t += step) {
      empty.push(t);
      if (overlaps(t, t + step)) shaded.add(t);
    }
  }
  return { shaded: [...shaded].sort((a, b) => a - b) as UTCTimestamp[], empty: empty as UTCTimestamp[] };
}
