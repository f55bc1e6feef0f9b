// The architectures images are built for: the targets of src/config/targets.ts (validated, so a broken
// target file stops `kittest build` with the same file:line error as `kittest run`), seen through the
// three fields the builder reads.
import { loadTargets, type Target } from '../config/targets.ts';
import { targetsDir } from '../config/paths.ts';
import { UsageError } from '../errors.ts';

/** What the image builder needs of a target; the cache key hashes name and debianArch. */
export type ImageTarget = Pick<Target, 'name' | 'debianArch' | 'aliases'>;

/** Every target in targets/, sorted by name. */
export function listTargets(dir: string = targetsDir): ImageTarget[] {
  return loadTargets(dir).sort((a, b) => a.name.localeCompare(b.name));
}

/** The target called `name` (or with that alias / Debian architecture); UsageError if none. */
export function findTarget(name: string, targets: readonly ImageTarget[] = listTargets()): ImageTarget {
  const found = targets.find((t) => t.name === name || t.aliases.includes(name) || t.debianArch === name);
  if (!found) throw new UsageError(`unknown architecture "${name}" (known: ${targets.map((t) => t.name).join(', ')})`);
  return found;
}
