// Catch a wrong or cut-short disk image before booting: firmware that finds no boot record
// only says "no bootable device", far from the cause. Reads a few magic bytes, nothing more.
import { statSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { readBytes } from '../util/read-bytes.ts';
import type { BootFiles } from './boot-files.ts';
import { checkInitrd } from './check-initrd.ts';

/** What the bytes say a file is, or why it is not what its name says. Pure over the given heads. */
export function judgeMedium(kind: 'iso' | 'raw' | 'qcow2' | 'squashfs' | 'erofs', size: number, head: Buffer, iso: Buffer, erofs: Buffer): string | undefined {
  switch (kind) {
    case 'qcow2':
      return head.subarray(0, 4).equals(Buffer.from([0x51, 0x46, 0x49, 0xfb])) ? undefined : 'has no qcow2 header (QFI\\xfb)';
    case 'iso':
      // ISO 9660: the primary volume descriptor at 32 KiB carries "CD001".
      return iso.subarray(1, 6).toString('latin1') === 'CD001' ? undefined : 'has no ISO 9660 volume descriptor (CD001 at 32 KiB)';
    case 'raw':
      // MBR and GPT's protective MBR both end sector 0 with 55 AA.
      if (size < 512 * 34) return `is only ${size} bytes, too small for a partitioned disk`;
      return head[510] === 0x55 && head[511] === 0xaa ? undefined : 'has no boot record (no 55 AA at byte 510)';
    case 'squashfs':
      return head.subarray(0, 4).toString('latin1') === 'hsqs' ? undefined : 'is not a squashfs image (no hsqs magic)';
    case 'erofs':
      return erofs.length >= 4 && erofs.readUInt32LE(0) === 0xe0f5e1e2 ? undefined : 'is not an erofs image (no magic at 1 KiB)';
  }
}

/** Throws a UsageError naming the file when a disk, CD or root filesystem image is not what its name says. */
function checkMedium(image: BootFiles): void {
  const path = image.bootMedium?.path ?? image.rootDisk;
  if (!path) return;
  const kind = image.bootMedium ? (image.bootMedium.driver === 'qcow2' ? 'qcow2' : image.bootMedium.media === 'cdrom' ? 'iso' : 'raw') : image.format === 'kernel+erofs' ? 'erofs' : 'squashfs';
  const size = statSync(path).size;
  const problem = judgeMedium(kind, size, readBytes(path, 512), readBytes(path, 8, 0x8000), readBytes(path, 4, 1024));
  if (problem) throw new UsageError(`${image.format} image ${path} ${problem}`);
  if (kind === 'squashfs') {
    // bytes_used (offset 40) is the filesystem's length: a shorter file was cut short.
    const used = Number(readBytes(path, 8, 40).readBigUInt64LE(0));
    if (used > size) throw new UsageError(`${image.format} image ${path} is truncated (${size} of ${used} bytes)`);
  }
}

/** Every pre-boot check of an image's files: the initrd's compressed stream and the disk or CD's magic. */
export async function checkBootFiles(image: BootFiles): Promise<void> {
  if (image.initrd) await checkInitrd(image.initrd);
  checkMedium(image);
}
