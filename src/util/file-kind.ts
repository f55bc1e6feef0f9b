// What kind of file a path names, without following it and without throwing.
import { lstatSync } from 'node:fs';

/** True when `path` is a symbolic link (dangling or not); false when it is anything else or missing. */
export function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
