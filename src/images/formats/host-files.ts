// Boot code shipped by Debian packages on the host; a missing one names its package.
import { existsSync } from 'node:fs';
import { HostError } from '../../errors.ts';

const hostFiles = {
  syslinuxMbr: { path: '/usr/lib/syslinux/mbr/mbr.bin', package: 'syslinux-common' },
  ldlinux: { path: '/usr/lib/syslinux/modules/bios/ldlinux.c32', package: 'syslinux-common' },
  isolinux: { path: '/usr/lib/ISOLINUX/isolinux.bin', package: 'isolinux' },
  isohybridMbr: { path: '/usr/lib/ISOLINUX/isohdpfx.bin', package: 'isolinux' },
  grubX64Efi: { path: '/usr/lib/grub/x86_64-efi', package: 'grub-efi-amd64-bin' },
} as const;

/** The path of a host file, or a HostError naming the Debian package that has it. */
export function hostFile(which: keyof typeof hostFiles): string {
  const { path, package: pkg } = hostFiles[which];
  if (!existsSync(path)) throw new HostError(`${path} is missing: install the Debian package ${pkg}`);
  return path;
}
