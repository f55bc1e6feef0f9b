// Refuse to start when a folder we will write to has no room: a run that dies half-way
// through writing its logs helps nobody.
import { statfsSync } from 'node:fs';
import { HostError } from '../errors.ts';
import { makeFolders } from './make-folders.ts';

/** Throws a HostError (exit 2) when `dir` has less than `needBytes` free; creates `dir` if needed. */
export function requireFreeSpace(dir: string, needBytes: number, what: string): void {
  try {
    makeFolders(dir);
  } catch (error) {
    throw new HostError(`cannot create ${what} folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const stats = statfsSync(dir);
  const free = Number(stats.bavail) * Number(stats.bsize);
  if (free < needBytes) {
    throw new HostError(`no room for ${what} in ${dir}: ${(free / 1048576).toFixed(1)} MiB free, ${(needBytes / 1048576).toFixed(0)} MiB needed`);
  }
}
