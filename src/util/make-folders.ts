// Make a folder and its missing parents. Node's mkdirSync(..., { recursive: true }) spins forever
// when a pseudo file system (procfs) answers ENOENT for a child of a folder that exists; this loop
// makes one level at a time and stops with that error instead.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Make `dir` and its missing parents; throws mkdir's own error (code, path) for the first level that cannot be made. */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); !isFolder(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      // Made meanwhile by someone else is fine; anything else (ENOENT under /proc, ENOTDIR, EACCES) stops here.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !isFolder(folder)) throw error;
    }
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
