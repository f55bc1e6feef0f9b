// Write a file so readers never see half of it: write a temp file beside it, then rename.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeFolders } from './make-folders.ts';

/** Write `data` to `file` atomically (parent folders created). */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  makeFolders(dirname(file));
  const temp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
