// Which kernel modules the loader initramfs must insmod, in dependency order. busybox insmod
// does not resolve dependencies, so the order comes from modules.dep (plus the "pre:" soft
// dependencies of modules.softdep, which modules.dep does not list: libcrc32c needs crc32c).
import { moduleName, parseModulesDep } from '../modules-dep.ts';

/** Parse modules.softdep "softdep NAME pre: A B post: C": NAME -> names to load before it. */
export function parseSoftdeps(text: string): Map<string, string[]> {
  const soft = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'softdep' || !words[1]) continue;
    const pre: string[] = [];
    let inPre = false;
    for (const word of words.slice(2)) {
      if (word.endsWith(':')) inPre = word === 'pre:';
      else if (inPre) pre.push(moduleName(word));
    }
    soft.set(moduleName(words[1]), pre);
  }
  return soft;
}

interface ModuleSet {
  /** modules.dep text of the image's kernel. */
  dep: string;
  /** modules.softdep text (may be empty). */
  softdep: string;
  /** Names of modules built into the kernel (modules.builtin, as names). */
  builtin: readonly string[];
  /** Soft-dependency names that are crypto aliases of a module file (crc32c -> crc32c_generic). */
  aliases?: Readonly<Record<string, string>>;
}

/** Module paths (relative to lib/modules/KVER) to insmod, dependencies first, for `wanted`
 *  names. A built-in name needs nothing; a wanted name with no module is `missing`, a soft
 *  dependency with none is `softMissing` (by module name, aliases resolved). */
export function loadOrder(set: ModuleSet, wanted: readonly string[]): { order: string[]; missing: string[]; softMissing: string[] } {
  const modules = parseModulesDep(set.dep);
  const soft = parseSoftdeps(set.softdep);
  const builtin = new Set(set.builtin.map(moduleName));
  const aliases: Record<string, string> = { crc32c: 'crc32c_generic', ...set.aliases };
  const order: string[] = [];
  const missing: string[] = [];
  const softMissing: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string, required: boolean): void => {
    const resolved = builtin.has(name) || modules.has(name) ? name : aliases[name] ?? name;
    if (builtin.has(resolved)) return;
    const entry = modules.get(resolved);
    if (!entry) {
      const list = required ? missing : softMissing;
      if (!list.includes(resolved)) list.push(resolved);
      return;
    }
    const { path, deps } = entry;
    if (order.includes(path) || visiting.has(path)) return;
    visiting.add(path);
    for (const pre of soft.get(resolved) ?? []) visit(pre, false);
    for (const dep of deps) visit(moduleName(dep), true);
    order.push(path);
  };
  for (const name of wanted) visit(moduleName(name), true);
  return { order, missing, softMissing };
}
