// Which LinuxKit output formats can be made for which target, and parsing --format.
import { UsageError } from '../../errors.ts';
import { bootFormats, isBootFormat, type BootFormat } from '../../config/boot-formats.ts';
import { mediumSuffixes } from '../boot-files.ts';
import { loadTargets, selectTargets } from '../../config/targets.ts';

const kernelFormats: BootFormat[] = ['kernel+initrd', 'kernel+squashfs', 'kernel+erofs'];

/** Formats kittest can make per Debian architecture: BIOS media need x86 (syslinux, isolinux);
 *  EFI media need a GRUB EFI platform we can get (x86_64-efi on the host, arm64-efi fetched);
 *  every kernel can boot an initramfs, and so a loader + root disk. */
const makeable: Record<string, readonly BootFormat[]> = {
  amd64: bootFormats,
  arm64: [...kernelFormats, 'iso-efi', 'raw-efi', 'qcow2-efi'],
};

/** Formats that can be made for a target: what its Debian arch allows and the target boots. */
export function formatsFor(targetName: string): BootFormat[] {
  const [target] = selectTargets(loadTargets(), [targetName]);
  if (!target) return [];
  const can = makeable[target.debianArch] ?? kernelFormats;
  return target.formats.filter((f) => can.includes(f));
}

/** Parse "--format F[,F...]" or "all" (every format the target can have). */
export function parseFormats(value: string, target: string): BootFormat[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--format needs a format (one of: ${bootFormats.join(', ')}, or all)`);
  const possible = formatsFor(target);
  if (names.includes('all')) return possible;
  const result: BootFormat[] = [];
  for (const name of names) {
    if (!isBootFormat(name)) throw new UsageError(`unknown format "${name}" (known: ${bootFormats.join(', ')}, all)`);
    if (!possible.includes(name)) throw new UsageError(`format ${name} cannot be made for ${target} (possible: ${possible.join(', ')})`);
    if (!result.includes(name)) result.push(name);
  }
  return result;
}

/** Output file names of a format, as `linuxkit build` names them, for image `name`. */
export function outputFiles(format: BootFormat, name: string): string[] {
  switch (format) {
    case 'kernel+initrd':
      return [`${name}-kernel`, `${name}-initrd.img`, `${name}-cmdline`];
    case 'kernel+squashfs':
      return [`${name}-kernel`, `${name}-initrd.img`, `${name}-squashfs.img`, `${name}-cmdline`];
    case 'kernel+erofs':
      return [`${name}-kernel`, `${name}-initrd.img`, `${name}-erofs.img`, `${name}-cmdline`];
    default:
      return [name + mediumSuffixes.find(([f]) => f === format)![1]];
  }
}
