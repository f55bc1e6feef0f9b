// Which LinuxKit output formats can be made for which target, and parsing --format.
import { UsageError } from '../../errors.ts';

export const diskFormats = ['kernel+initrd', 'kernel+squashfs', 'kernel+erofs', 'iso-bios', 'iso-efi', 'raw-bios', 'raw-efi', 'qcow2-bios', 'qcow2-efi'] as const;
/** Same strings as BootFormat in ../boot-files.ts. */
export type DiskFormat = (typeof diskFormats)[number];

const kernelFormats: DiskFormat[] = ['kernel+initrd', 'kernel+squashfs', 'kernel+erofs'];

/** Formats that can be made for a target: BIOS media need x86 (syslinux/isolinux, SeaBIOS);
 *  EFI media need a GRUB EFI platform we can get (x86_64-efi on the host, arm64-efi fetched);
 *  every target can boot a kernel with an initramfs, and so a loader + root disk. */
export function formatsFor(target: string): DiskFormat[] {
  if (target === 'x86_64') return [...diskFormats];
  if (target === 'arm64') return [...kernelFormats, 'iso-efi', 'raw-efi', 'qcow2-efi'];
  return [...kernelFormats];
}

export function isDiskFormat(value: string): value is DiskFormat {
  return (diskFormats as readonly string[]).includes(value);
}

/** Parse "--format F[,F...]" or "all" (every format the target can have). */
export function parseFormats(value: string, target: string): DiskFormat[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--format needs a format (one of: ${diskFormats.join(', ')}, or all)`);
  if (names.includes('all')) return formatsFor(target);
  const result: DiskFormat[] = [];
  for (const name of names) {
    if (!isDiskFormat(name)) throw new UsageError(`unknown format "${name}" (known: ${diskFormats.join(', ')}, all)`);
    if (!formatsFor(target).includes(name)) throw new UsageError(`format ${name} cannot be made for ${target} (possible: ${formatsFor(target).join(', ')})`);
    if (!result.includes(name)) result.push(name);
  }
  return result;
}

/** Output file names of a format, as `linuxkit build` names them, for image `name`. */
export function outputFiles(format: DiskFormat, name: string): string[] {
  switch (format) {
    case 'kernel+initrd':
      return [`${name}-kernel`, `${name}-initrd.img`, `${name}-cmdline`];
    case 'kernel+squashfs':
      return [`${name}-kernel`, `${name}-initrd.img`, `${name}-squashfs.img`, `${name}-cmdline`];
    case 'kernel+erofs':
      return [`${name}-kernel`, `${name}-initrd.img`, `${name}-erofs.img`, `${name}-cmdline`];
    case 'iso-bios':
      return [`${name}.iso`];
    case 'iso-efi':
      return [`${name}-efi.iso`];
    case 'raw-bios':
      return [`${name}-bios.img`];
    case 'raw-efi':
      return [`${name}-efi.img`];
    case 'qcow2-bios':
      return [`${name}.qcow2`];
    case 'qcow2-efi':
      return [`${name}-efi.qcow2`];
  }
}
