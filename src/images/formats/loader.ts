// The small initramfs that kernel+squashfs / kernel+erofs boot first: busybox, the modules the
// root disk needs (virtio_blk, the filesystem) and images/files/loader-init as /init.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { imagesDir } from '../../config/paths.ts';
import { HostError } from '../../errors.ts';
import { compressFile } from '../compress.ts';
import { S_IFCHR, writeCpioFromTree } from '../cpio.ts';
import type { ImageManifest } from '../manifest.ts';
import { modulesFromKernelPackage } from './kernel-package.ts';
import { loadOrder } from './module-order.ts';
import type { RootFs } from './root-image.ts';

export const loaderInit = join(imagesDir, 'files', 'loader-init');

/** Modules the loader needs for a root filesystem type (beyond what the kernel has built in). */
function loaderModules(fs: RootFs): string[] {
  return ['virtio_blk', fs];
}

function readOptional(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** The modules directory of an unpacked root: lib/modules/KVER (usrmerge puts it under usr/). */
function modulesDirOf(root: string, kernelVersion: string): string {
  for (const dir of [join(root, 'lib/modules', kernelVersion), join(root, 'usr/lib/modules', kernelVersion)]) if (existsSync(join(dir, 'modules.dep'))) return dir;
  throw new HostError(`the image root has no lib/modules/${kernelVersion}/modules.dep, so the loader cannot know which modules to load`);
}

/** Write the loader initramfs (gzip newc) for root `fs` to `out`, taking busybox and the modules from `root`. */
export async function writeLoaderInitrd(root: string, manifest: ImageManifest, fs: RootFs, out: string, scratch: string): Promise<string[]> {
  const kernelVersion = manifest.kernelVersion;
  const modulesDir = modulesDirOf(root, kernelVersion);
  const builtin = readOptional(join(modulesDir, 'modules.builtin')).split('\n').filter(Boolean);
  const { order, missing, softMissing } = loadOrder({ dep: readOptional(join(modulesDir, 'modules.dep')), softdep: readOptional(join(modulesDir, 'modules.softdep')), builtin }, loaderModules(fs));
  if (missing.length) throw new HostError(`the image's kernel ${kernelVersion} has no ${missing.join(', ')} module (neither built in nor under lib/modules), so it cannot mount a ${fs} root disk`);
  const busybox = join(root, 'usr/bin/busybox');
  if (!existsSync(busybox)) throw new HostError(`the image root has no usr/bin/busybox for the ${fs} loader`);

  const tree = join(scratch, 'loader');
  for (const dir of ['bin', 'dev', 'proc', 'sys', 'newroot', 'etc']) mkdirSync(join(tree, dir), { recursive: true });
  copyFileSync(busybox, join(tree, 'bin/busybox'));
  copyFileSync(loaderInit, join(tree, 'init'));
  for (const path of order) {
    const dest = join(tree, 'lib/modules', path);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(join(modulesDir, path), dest);
  }
  // Soft dependencies (crc32c for libcrc32c) load first; the root may lack them, its kernel package has them.
  const extra = softMissing.length ? await modulesFromKernelPackage(manifest, softMissing, join(tree, 'lib/modules'), scratch) : [];
  const all = [...extra, ...order];
  writeFileSync(join(tree, 'etc/loader-modules'), all.map((p) => `${p}\n`).join(''));
  writeFileSync(join(tree, 'etc/loader-fstype'), `${fs}\n`);
  const cpio = join(scratch, 'loader.cpio');
  writeCpioFromTree(tree, cpio, [{ path: 'dev/console', mode: S_IFCHR | 0o600, rdev: { major: 5, minor: 1 } }]);
  // gzip: every kernel can unpack it, and the file is small enough that the ratio does not matter.
  await compressFile('gzip', cpio, out);
  return all;
}
