// The architectures images are built for: targets/*.yml, of which only name, aliases and debianArch matter here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { targetsDir } from '../config/paths.ts';
import { UsageError } from '../errors.ts';

export interface ImageTarget {
  name: string;
  debianArch: string;
  aliases: string[];
}

/** Every target in targets/ (sorted by name); files without name/debianArch are skipped. */
export function listTargets(dir: string = targetsDir): ImageTarget[] {
  const targets: ImageTarget[] = [];
  for (const entry of readdirSync(dir).filter((f) => f.endsWith('.yml')).sort()) {
    const data = parse(readFileSync(join(dir, entry), 'utf8')) as Record<string, unknown> | null;
    if (!data || typeof data.name !== 'string' || typeof data.debianArch !== 'string') continue;
    const aliases = Array.isArray(data.aliases) ? data.aliases.filter((a): a is string => typeof a === 'string') : [];
    targets.push({ name: data.name, debianArch: data.debianArch, aliases });
  }
  return targets.sort((a, b) => a.name.localeCompare(b.name));
}

/** The target called `name` (or with that alias / Debian architecture); UsageError if none. */
export function findTarget(name: string, targets: ImageTarget[] = listTargets()): ImageTarget {
  const found = targets.find((t) => t.name === name || t.aliases.includes(name) || t.debianArch === name);
  if (!found) throw new UsageError(`unknown architecture "${name}" (known: ${targets.map((t) => t.name).join(', ')})`);
  return found;
}
