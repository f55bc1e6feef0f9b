// Run many jobs with bounded concurrency, and pick a deterministic shard of a list.
import { UsageError } from '../errors.ts';

/** Parse "I/N" (1-based) from --shard. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard must be I/N with 1 <= I <= N, got "${text}"`);
  return { index, count };
}

/** Items of shard `index` of `count`: round-robin over the given order, so shards are disjoint and complete. */
export function shardOf<T>(items: readonly T[], shard: { index: number; count: number } | undefined): T[] {
  if (!shard) return [...items];
  return items.filter((_, i) => i % shard.count === shard.index - 1);
}

/** The items of `shard`; an empty shard is a UsageError naming it and the runs there are to share (it would pass having tested nothing). */
export function nonEmptyShard<T>(items: readonly T[], shard: { index: number; count: number } | undefined, name: (item: T) => string): T[] {
  const picked = shardOf(items, shard);
  if (picked.length > 0 || !shard) return picked;
  const runs = `${items.length} run${items.length === 1 ? '' : 's'}${items.length ? ` (${items.map(name).join(', ')})` : ''}`;
  throw new UsageError(`--shard ${shard.index}/${shard.count} selects no run: there ${items.length === 1 ? 'is' : 'are'} ${runs} to share among ${shard.count} shards`);
}

/** Run `work` on every item, at most `jobs` at once; results keep the items' order. */
export async function runBounded<T, R>(items: readonly T[], jobs: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return results;
}
