// FAT filesystems and disk images as plain files (no loop device, no mount): mkfs.fat on a
// file, mtools to put files in, and Node writes to place the filesystem inside the disk.
import { closeSync, openSync, readSync, truncateSync, writeSync } from 'node:fs';
import { runChecked } from '../exec.ts';

/** Make an empty FAT32 filesystem of `bytes` in `file`. */
export async function makeFat(file: string, bytes: number, label: string): Promise<void> {
  closeSync(openSync(file, 'w'));
  truncateSync(file, bytes);
  await runChecked('mkfs.fat', ['-F', '32', '-n', label.slice(0, 11).toUpperCase(), '-i', '4b495454', file]);
}

/** Create folders (each parent first) in a FAT image. */
export async function fatMkdirs(fat: string, dirs: readonly string[]): Promise<void> {
  if (dirs.length) await runChecked('mmd', ['-i', fat, ...dirs.map((d) => `::${d}`)]);
}

/** Copy one host file into a FAT image at `dest` (absolute path inside the FAT). */
export async function fatCopy(fat: string, source: string, dest: string): Promise<void> {
  await runChecked('mcopy', ['-o', '-i', fat, source, `::${dest}`]);
}

/** Write the bytes of `source` into `disk` starting at byte `offset` (disk must exist). */
export function writeInto(disk: string, offset: number, source: string, maxBytes = Infinity): void {
  const input = openSync(source, 'r');
  const output = openSync(disk, 'r+');
  try {
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    let done = 0;
    while (done < maxBytes) {
      const n = readSync(input, chunk, 0, Math.min(chunk.length, maxBytes - done), done);
      if (n === 0) break;
      let written = 0;
      while (written < n) written += writeSync(output, chunk, written, n - written, offset + done + written);
      done += n;
    }
  } finally {
    closeSync(input);
    closeSync(output);
  }
}
