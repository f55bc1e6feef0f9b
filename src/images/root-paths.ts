// Paths inside an image root. Definitions are checked when they are loaded (a path that climbs out
// of the root is refused), and the builder joins paths as the guest would resolve them, so a
// symlink already in the root (from a package or a files: entry) never leads out of the build folder.
import { readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isSymlink } from '../util/file-kind.ts';

/** Depth below the root where `path` ends (read lexically, absolute or relative alike); -1 if it climbs above the root on the way. */
export function depthInRoot(path: string): number {
  let depth = 0;
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    depth += segment === '..' ? -1 : 1;
    if (depth < 0) return -1;
  }
  return depth;
}

/** True when `path` is `dir` or below it (both absolute, already resolved). */
export function isWithin(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith('../'));
}

/** Most symlinks followed in one path, as Linux allows (ELOOP beyond). */
const maxLinks = 40;

/** Host path of `path` (in the image) under `root`: symlinks on the way are followed inside the root (absolute targets start again at it, `..` stops at it); the last segment only with `followLast` (for mkdir and chmod, which follow it themselves). */
export function joinInRoot(root: string, path: string, { followLast = false }: { followLast?: boolean } = {}): string {
  const todo = path.split('/').filter((s) => s !== '' && s !== '.');
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const segment = todo.shift()!;
    if (segment === '..') {
      done.pop();
      continue;
    }
    if ((todo.length > 0 || followLast) && isSymlink(join(root, ...done, segment))) {
      if (++links > maxLinks) throw new Error(`too many symbolic links in ${path} under ${root}`);
      const target = readlinkSync(join(root, ...done, segment));
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter((s) => s !== '' && s !== '.'));
      continue;
    }
    done.push(segment);
  }
  return join(root, ...done);
}
