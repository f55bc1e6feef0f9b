// Small pure statistics for the bench: spread of samples, ratios, and the best a schedule could do.

/** The spread of a set of samples (milliseconds or any unit). */
export interface Spread {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/** Median of the values (mean of the two middle ones for an even count); NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** min, median and max of the finite values; undefined when there are none. */
export function spread(values: readonly number[]): Spread | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return undefined;
  return { n: finite.length, min: Math.min(...finite), median: median(finite), max: Math.max(...finite) };
}

/** a / b, or undefined when either is missing or b is not positive. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return undefined;
  return a / b;
}

/** For every key present in some record, the median of its values over the records that have it. */
export function medianByKey(records: readonly Readonly<Record<string, number | undefined>>[]): Record<string, number> {
  const values = new Map<string, number[]>();
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) {
      if (value === undefined || !Number.isFinite(value)) continue;
      values.set(key, [...(values.get(key) ?? []), value]);
    }
  }
  return Object.fromEntries([...values].map(([key, list]) => [key, median(list)]));
}

/** Finish time of jobs handed out in order to the first free of `workers` (what runBounded does), ignoring contention. */
export function listMakespan(durations: readonly number[], workers: number): number {
  const free = new Array<number>(Math.max(1, workers)).fill(0);
  for (const d of durations) {
    const i = free.indexOf(Math.min(...free));
    free[i] = (free[i] ?? 0) + d;
  }
  return Math.max(...free);
}

/** Shortest possible finish time of the jobs on `workers` (exhaustive; fine for a handful of jobs), ignoring contention. */
export function optimalMakespan(durations: readonly number[], workers: number): number {
  if (durations.length > 12) throw new RangeError(`optimalMakespan: ${durations.length} jobs is too many to try every assignment`);
  const w = Math.max(1, workers);
  let best = Number.POSITIVE_INFINITY;
  const loads = new Array<number>(w).fill(0);
  const place = (i: number): void => {
    if (i === durations.length) {
      best = Math.min(best, Math.max(...loads));
      return;
    }
    const seen = new Set<number>();
    for (let k = 0; k < w; k++) {
      // Workers with the same load are interchangeable: try one of them.
      if (seen.has(loads[k] as number)) continue;
      seen.add(loads[k] as number);
      loads[k] = (loads[k] as number) + (durations[i] as number);
      if (Math.max(...loads) < best) place(i + 1);
      loads[k] = (loads[k] as number) - (durations[i] as number);
    }
  };
  place(0);
  return durations.length === 0 ? 0 : best;
}

/** The best speed-up of `workers` over one worker for these job lengths: sum / optimal makespan (contention ignored). */
export function idealSpeedup(durations: readonly number[], workers: number): number | undefined {
  const total = durations.reduce((s, d) => s + d, 0);
  return ratio(total, optimalMakespan(durations, workers));
}
