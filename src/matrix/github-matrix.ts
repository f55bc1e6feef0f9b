// The GitHub Actions `strategy.matrix` for CI: a job per default target, or N jobs each running one shard.
import type { Target } from '../config/targets.ts';
import { UsageError } from '../errors.ts';
import { shardOf } from './schedule.ts';

/** One job: `kittest run --arch TARGET`, or `kittest run --shard I/N` (TARGETS says which targets that shard runs). */
type GithubMatrixEntry = { readonly target: string } | { readonly shard: string; readonly targets: string };

/** What `strategy.matrix: ${{ fromJSON(...) }}` expects. */
interface GithubMatrix {
  readonly include: readonly GithubMatrixEntry[];
}

/** The matrix over the default targets (in targets/ file order, as `kittest run` orders them); `shards` splits them as --shard does. */
export function githubMatrix(targets: readonly Pick<Target, 'name' | 'default'>[], shards?: number): GithubMatrix {
  const defaults = targets.filter((t) => t.default);
  if (shards === undefined) return { include: defaults.map((t) => ({ target: t.name })) };
  if (!Number.isInteger(shards) || shards < 1) throw new UsageError(`--shards must be an integer >= 1, got "${shards}"`);
  if (shards > defaults.length) {
    throw new UsageError(`--shards ${shards} is more than the ${defaults.length} default targets (${defaults.map((t) => t.name).join(', ')}): some shards would run nothing`);
  }
  return {
    include: Array.from({ length: shards }, (_, i) => ({
      shard: `${i + 1}/${shards}`,
      targets: shardOf(defaults, { index: i + 1, count: shards }).map((t) => t.name).join(','),
    })),
  };
}
