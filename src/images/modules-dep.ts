// modules.dep, read one way for both of its readers: the image builder (which module files to copy)
// and the loader of the root-image formats (which modules to insmod, dependencies first).

/** The compressions a kernel module file may have (kmod reads these three). */
export const compressedSuffix = /\.(xz|zst|gz)$/;

/** Canonical module name of a path or name: basename without .ko[.xz|.zst|.gz], dashes as underscores. */
export function moduleName(pathOrName: string): string {
  return pathOrName.replace(/^.*\//, '').replace(compressedSuffix, '').replace(/\.ko$/, '').replace(/-/g, '_');
}

/** One module of modules.dep: its path (relative to lib/modules/KVER) and every module it needs, in modules.dep order. */
interface DepEntry {
  readonly path: string;
  readonly deps: string[];
}

/** Parse modules.dep ("path: dep dep ...") into module name -> entry; lines without a path are skipped. */
export function parseModulesDep(text: string): Map<string, DepEntry> {
  const result = new Map<string, DepEntry>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    result.set(moduleName(path), { path, deps });
  }
  return result;
}
