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

/** A ratio estimated from paired samples: geometric mean of the pairs' ratios and its approximate 95% interval. */
export interface PairedRatio {
  readonly n: number;
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

/**
 * The geometric mean of a/b over pairs taken side by side, with mean ± 2 standard errors of the log
 * ratios as its interval. Pairing cancels drift between pairs; the interval says how much of a
 * difference the runs can resolve at all. Undefined under two usable pairs.
 */
export function pairedRatio(pairs: readonly (readonly [number, number])[]): PairedRatio | undefined {
  const logs = pairs.filter(([a, b]) => a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b)).map(([a, b]) => Math.log(a / b));
  const n = logs.length;
  if (n < 2) return undefined;
  const mean = logs.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const margin = (2 * sd) / Math.sqrt(n);
  return { n, value: Math.exp(mean), low: Math.exp(mean - margin), high: Math.exp(mean + margin) };
}

/** A paired ratio against a maximum: met when the whole interval is under it, not met when all of it is over, else unresolved (undefined). */
export function pairedVerdict(r: PairedRatio | undefined, limit: number): boolean | undefined {
  if (!r) return undefined;
  if (r.high <= limit) return true;
  if (r.low > limit) return false;
  return undefined;
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
