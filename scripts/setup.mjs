#!/usr/bin/env node
// Set-up shared by `npm start`, `npm test` and `npm run bench`: installs what is missing
// (npm dependencies, Debian packages), then builds the reference images when asked (--images).
// Quick when everything is in place: it only compares timestamps and asks dpkg.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

/** Debian packages kittest needs on the host, with what each is for. */
const debianPackages = {
  'qemu-system-x86': 'x86_64 guests',
  'qemu-system-arm': 'arm64 guests',
  'qemu-system-misc': 's390x and riscv64 guests',
  'qemu-system-ppc': 'ppc64le guests',
  opensbi: 'riscv64 firmware',
  'qemu-utils': 'qcow2 images (qemu-img)',
  ovmf: 'UEFI firmware for x86_64 (iso-efi, raw-efi, qcow2-efi)',
  'qemu-efi-aarch64': 'UEFI firmware for arm64 (iso-efi, raw-efi, qcow2-efi)',
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
  'busybox-static': 'tests of the console engine',
  chromium: 'rendering the HTML report in tests',
  'libxml2-utils': 'validating JUnit reports in tests',
  'debian-archive-keyring': 'verifying packages from Debian',
};

function fail(message) {
  process.stderr.write(`kittest setup: ${message}\n`);
  process.exit(2);
}

function say(message) {
  process.stderr.write(`kittest setup: ${message}\n`);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 6)) fail(`Node ${process.versions.node} is too old: kittest needs Node 20.6 or newer`);
}

function ensureNpmDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs && existsSync(join(root, 'node_modules', 'node-pty', 'build'));
  if (fresh) return;
  say('installing npm dependencies (npm ci)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail('npm ci failed (is the npm registry reachable?)');
}

function missingDebianPackages() {
  const names = Object.keys(debianPackages);
  const out = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...names], { encoding: 'utf8' });
  if (out.error) fail('dpkg-query not found: kittest needs a Debian-based host');
  const installed = new Set(
    out.stdout
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

function ensureDebianPackages() {
  const missing = missingDebianPackages();
  if (missing.length === 0) return;
  const wanted = missing.map((p) => `${p} (${debianPackages[p]})`).join(', ');
  if (process.getuid?.() !== 0) fail(`missing Debian packages: ${wanted}; run as root: apt-get install ${missing.join(' ')}`);
  say(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (update.status !== 0) fail(`apt-get update failed (is Debian's archive reachable?); missing: ${missing.join(' ')}`);
  const install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (install.status !== 0) fail(`apt-get install ${missing.join(' ')} failed`);
  const still = missingDebianPackages();
  if (still.length) fail(`Debian packages still missing after apt-get install: ${still.join(' ')}`);
}

function buildImages() {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'kittest.js'), 'build', '--arch', 'all'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

checkNode();
ensureNpmDependencies();
ensureDebianPackages();
if (args.has('--images')) buildImages();
