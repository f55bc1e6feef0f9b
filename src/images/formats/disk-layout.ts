// Partition arithmetic for the raw disk images (pure): one FAT partition at 1 MiB, MBR for
// BIOS (bootable, FAT32 LBA) or GPT for EFI (EFI System Partition), sized to fit the files.

const sector = 512;
const mib = 1024 * 1024;
/** GPT keeps a backup table (33 sectors) at the end of the disk. */
const gptBackupSectors = 33;
/** C12A7328-F81F-11D2-BA4B-00A0C93EC93B: the EFI System Partition type. */
export const espType = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

export interface DiskLayout {
  label: 'dos' | 'gpt';
  /** Byte offset of the partition (1 MiB: aligned, room for the MBR/GPT and boot code). */
  partitionOffset: number;
  partitionBytes: number;
  diskBytes: number;
}

const roundUp = (n: number, unit: number): number => Math.ceil(n / unit) * unit;

/** FAT partition size for `payloadBytes` of files: the files, 10% for FAT tables, clusters and
 *  directories, and 8 MiB spare, in whole MiB. At least 64 MiB, so FAT32 has enough clusters. */
export function fatBytesFor(payloadBytes: number): number {
  return Math.max(64 * mib, roundUp(payloadBytes * 1.1 + 8 * mib, mib));
}

export function diskLayout(label: 'dos' | 'gpt', partitionBytes: number): DiskLayout {
  const partitionOffset = mib;
  const tail = label === 'gpt' ? roundUp(gptBackupSectors * sector, mib) : 0;
  return { label, partitionOffset, partitionBytes, diskBytes: partitionOffset + partitionBytes + tail };
}

/** sfdisk script for the layout (sizes in sectors). */
export function sfdiskScript(layout: DiskLayout): string {
  const start = layout.partitionOffset / sector;
  const size = layout.partitionBytes / sector;
  const partition = layout.label === 'gpt' ? `start=${start}, size=${size}, type=${espType}, name="EFI System"` : `start=${start}, size=${size}, type=c, bootable`;
  return [`label: ${layout.label}`, 'unit: sectors', partition, ''].join('\n');
}
