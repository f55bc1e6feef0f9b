// The root filesystem of the disk formats is the reference initramfs itself: decompress it
// (per manifest.compression) and unpack it, so squashfs/erofs hold exactly what initrd boots.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { decompressFile, type Compression } from '../compress.ts';
import { HostError } from '../../errors.ts';
import { readNewc, unpackMembers, type CpioMember } from './cpio-read.ts';

/** Unpack the initramfs `initrd` into `dest` (created); returns its device-node members, not created. */
export async function unpackInitrd(initrd: string, compression: Compression, dest: string, scratch: string): Promise<CpioMember[]> {
  const cpio = join(scratch, 'initrd.cpio');
  await decompressFile(compression, initrd, cpio);
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
