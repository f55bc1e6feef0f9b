// The cache key of a built image: what it was built from, hashed, so any change rebuilds it.
import { readFileSync } from 'node:fs';
import type { ImageDefinition } from './definition.ts';
import { stableJson } from './merge.ts';
import { sha256Hex } from '../util/sha256.ts';
import type { ImageTarget } from '../config/targets.ts';

/** Bumped whenever the builder's output changes for the same inputs (2: onboot `keep:`, pvpanic modules; 3: services share one shim). */
export const builderVersion = '6';

/** The definition with machine-specific paths replaced by content hashes. */
function portableDefinition(def: ImageDefinition): unknown {
  const { file: _file, chain: _chain, ...rest } = def;
  return JSON.parse(JSON.stringify(rest), (key: string, value: unknown) =>
    key === 'source' && typeof value === 'string' ? `sha256:${sha256Hex(readFileSync(value))}` : value,
  );
}

/** sha256 (hex) of everything that changes an output byte: the merged definition (what it extends
 *  included, `files[].source` by content), the target fields the build reads, the builder version and
 *  the .debs used (`packages`: selectionLines of what was fetched, so a fallback to an older .deb counts). */
export function cacheKey(def: ImageDefinition, target: ImageTarget, packages: readonly string[]): string {
  return sha256Hex(
    stableJson({
      builderVersion,
      definition: portableDefinition(def),
      target: { name: target.name, debianArch: target.debianArch },
      packages: [...packages].sort(),
    }),
  );
}

/**
 * A key for a CI cache (actions/cache) of kittest's cache folder: what the images are built from
 * that is known before planning (the definition by content, the builder version, the targets).
 * The Debian packages picked are not in it: kittest's own per-image key still rebuilds on those.
 */
export function ciCacheKey(def: ImageDefinition, targets: readonly ImageTarget[]): string {
  const inputs = stableJson({
    builderVersion,
    definition: portableDefinition(def),
    targets: targets.map((t) => ({ name: t.name, debianArch: t.debianArch })).sort((a, b) => a.name.localeCompare(b.name)),
  });
  return `kittest-images-v${builderVersion}-${sha256Hex(inputs).slice(0, 20)}`;
}
