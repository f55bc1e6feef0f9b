// The root filesystem of the disk formats is the reference initramfs itself: decompress it
// (per manifest.compression) and unpack it, so squashfs/erofs hold exactly what initrd boots.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Compression } from '../compress.ts';
import { HostError } from '../../errors.ts';
import { runChecked } from '../exec.ts';
import { readNewc, unpackMembers, type CpioMember } from './cpio-read.ts';

const decompressors: Record<Compression, [string, string[]]> = {
  zstd: ['zstd', ['-q', '-d', '-c']],
  xz: ['xz', ['-d', '-c']],
  gzip: ['gzip', ['-d', '-c']],
};

/** Decompress `initrd` into the file `out`. */
export async function decompressInitrd(initrd: string, compression: Compression, out: string): Promise<void> {
  const [program, args] = decompressors[compression] ?? decompressors.gzip;
  const fd = openSync(out, 'w');
  try {
    await runChecked(program, [...args, initrd], { stdoutFile: fd });
  } finally {
    closeSync(fd);
  }
}

/** Unpack the initramfs `initrd` into `dest` (created); returns its device-node members, not created. */
export async function unpackInitrd(initrd: string, compression: Compression, dest: string, scratch: string): Promise<CpioMember[]> {
  const cpio = join(scratch, 'initrd.cpio');
  await decompressInitrd(initrd, compression, cpio);
  try {
    let members: CpioMember[];
    try {
      members = readNewc(readFileSync(cpio));
    } catch (error) {
      throw new HostError(`${initrd}: ${(error as Error).message}`);
    }
    mkdirSync(dest, { recursive: true });
    return unpackMembers(members, dest);
  } finally {
    rmSync(cpio, { force: true });
  }
}
