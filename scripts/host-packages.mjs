// The Debian packages kittest needs on the host, in one place: scripts/setup.mjs (a clone's set-up,
// plain JS run before npm dependencies exist) and `kittest setup` (an installed kittest) both use it.
// A target's QEMU and firmware packages come from its targets/*.yml; the rest are listed here.
import { spawnSync } from 'node:child_process';

/** Tools for building the reference image and the LinuxKit formats, with what each is for. */
export const imageTools = {
  'qemu-utils': 'qcow2 images (qemu-img)',
  'grub-common': 'grub-mkrescue and grub-mkstandalone for the EFI formats',
  'grub-efi-amd64-bin': 'GRUB x86_64 EFI modules',
  xorriso: 'ISO images',
  mtools: 'writing FAT file systems without mounting',
  dosfstools: 'mkfs.fat for boot partitions',
  fdisk: 'sfdisk partition tables for raw disks',
  syslinux: 'the raw-bios boot loader',
  'syslinux-common': 'syslinux MBR and modules',
  isolinux: 'the iso-bios boot loader',
  kmod: 'depmod for the reference kernels',
  cpio: 'checking initramfs archives',
  'squashfs-tools': 'kernel+squashfs images',
  'erofs-utils': 'kernel+erofs images',
  lz4: 'compressing the reference initramfs',
  zstd: 'compressing squashfs roots and reading zstd initramfs',
  'debian-archive-keyring': 'verifying packages from Debian',
};

/** Only a clone's own test suite needs these. */
export const testTools = {
  'busybox-static': 'tests of the console engine',
  chromium: 'rendering the HTML report in tests',
  'libxml2-utils': 'validating JUnit reports in tests',
};

/**
 * Every package the targets need (QEMU, firmware, UEFI firmware), then the image tools (and the
 * test tools when asked): a Map from package name to what it is for, in install order.
 * @param {readonly { name: string, qemu: { package: string, firmwarePackage?: string }, efi?: { package: string } }[]} targets
 * @param {{ tests?: boolean }} [options]
 */
export function hostPackages(targets, options = {}) {
  /** @type {Map<string, string>} */
  const wanted = new Map();
  const add = (name, why) => wanted.set(name, wanted.has(name) ? `${wanted.get(name)}, ${why}` : why);
  for (const t of targets) add(t.qemu.package, `${t.name} guests`);
  for (const t of targets) if (t.qemu.firmwarePackage) add(t.qemu.firmwarePackage, `${t.name} firmware`);
  for (const t of targets) if (t.efi) add(t.efi.package, `UEFI firmware for ${t.name}`);
  for (const [name, why] of Object.entries({ ...imageTools, ...(options.tests ? testTools : {}) })) add(name, why);
  return wanted;
}

/** The apt-get command that installs `names` (the one a non-root user is told to run). */
export function aptInstallCommand(names) {
  return `apt-get install -y --no-install-recommends ${names.join(' ')}`;
}

/** The installed ones among `names` (dpkg-query), or undefined without dpkg (not a Debian host). */
export function installedPackages(names) {
  const out = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...names], { encoding: 'utf8' });
  if (out.error) return undefined;
  return new Set(
    out.stdout
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
}

/** apt-get update, then install `names` quietly; resolves with a one-line problem, or undefined when it worked. */
export function aptInstall(names) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (update.status !== 0) return `apt-get update failed (is Debian's archive reachable?); missing: ${names.join(' ')}`;
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { stdio: 'inherit', env });
  if (install.status !== 0) return `apt-get install ${names.join(' ')} failed`;
  return undefined;
}
