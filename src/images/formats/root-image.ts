// kernel+squashfs / kernel+erofs root images of an unpacked initramfs tree.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { RootCompression } from '../compress.ts';
import { S_IFMT } from '../cpio.ts';
import { runChecked } from '../exec.ts';
import type { CpioMember } from './cpio-read.ts';

export type RootFs = 'squashfs' | 'erofs';

/** mksquashfs compressor for an image: the best its kernel decompresses (chooseCompression), which the
 *  Debian kernel's squashfs also reads (CONFIG_SQUASHFS_ZSTD/XZ/ZLIB=y). */
function squashfsCompressor(compression: RootCompression): string {
  return compression === 'gzip' ? 'gzip' : compression;
}

/** mksquashfs pseudo definitions for device nodes ("dev/console c 600 0 0 5 1"). */
export function pseudoDefinitions(devices: readonly CpioMember[]): string[] {
  return devices.map((d) => `${d.path} ${(d.mode & S_IFMT) === 0o060000 ? 'b' : 'c'} ${(d.mode & 0o7777).toString(8)} 0 0 ${d.rdev.major} ${d.rdev.minor}`);
}

/** Create the device nodes in the tree when running as root (mkfs.erofs has no pseudo files);
 *  returns those it could not create. The root's init mounts devtmpfs, so they are a nicety. */
export function makeDeviceNodes(tree: string, devices: readonly CpioMember[]): CpioMember[] {
  const left: CpioMember[] = [];
  for (const device of devices) {
    const type = (device.mode & S_IFMT) === 0o060000 ? 'b' : 'c';
    try {
      execFileSync('mknod', ['-m', (device.mode & 0o7777).toString(8), join(tree, device.path), type, String(device.rdev.major), String(device.rdev.minor)], { stdio: 'ignore' });
    } catch {
      left.push(device);
    }
  }
  return left;
}

/** Write the filesystem image `out` of `tree`, owned by root, timestamps fixed (reproducible). */
export async function makeRootImage(fs: RootFs, tree: string, out: string, compression: RootCompression, devices: readonly CpioMember[]): Promise<void> {
  if (fs === 'squashfs') {
    const pseudo = pseudoDefinitions(devices).flatMap((p) => ['-p', p]);
    await runChecked('mksquashfs', [tree, out, '-noappend', '-quiet', '-no-progress', '-all-root', '-comp', squashfsCompressor(compression), '-mkfs-time', '0', '-all-time', '0', ...pseudo]);
  } else {
    // erofs-utils 1.5 offers lz4/lz4hc only; the kernel's erofs reads lz4 (CONFIG_EROFS_FS_ZIP=y).
    await runChecked('mkfs.erofs', ['--quiet', '--all-root', '-T0', '-zlz4hc', out, tree]);
  }
}
