// kittest cache-key [--arch ...] [--image FILE]: one line, the key under which a CI keeps kittest's
// cache folder (the Action's actions/cache step); a changed definition or builder gives a new key.
import { loadAllTargets, selectTargets } from '../config/targets.ts';
import { ciCacheKey } from '../images/cache-key.ts';
import { loadDefinition, referenceDefinition } from '../images/definition.ts';
import { requirePrintablePath } from '../util/path-options.ts';

export async function cacheKeyCommand(values: Record<string, unknown>): Promise<number> {
  const image = typeof values.image === 'string' ? values.image : referenceDefinition;
  requirePrintablePath('--image', image);
  const arch = typeof values.arch === 'string' ? values.arch.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const targets = selectTargets(loadAllTargets(values.targets as string[] | undefined), arch);
  process.stdout.write(`${ciCacheKey(loadDefinition(image), targets)}\n`);
  return 0;
}
