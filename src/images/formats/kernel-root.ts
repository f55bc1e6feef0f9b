// kernel+squashfs / kernel+erofs: the image's kernel, a loader initramfs, and its root as a disk.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Compression, RootCompression } from '../compress.ts';
import type { FormatContext } from './context.ts';
import { unpackInitrd } from './initrd-root.ts';
import { writeLoaderInitrd } from './loader.ts';
import { makeDeviceNodes, makeRootImage, type RootFs } from './root-image.ts';

export async function buildKernelRoot(ctx: FormatContext, fs: RootFs): Promise<void> {
  const { image, manifest, name, out, scratch } = ctx;
  const compression = manifest.compression as Compression;
  const rootCompression = manifest.rootCompression as RootCompression;
  const tree = join(scratch, 'root');
  ctx.log(`unpacking ${name}-initrd.img`);
  const devices = await unpackInitrd(`${image.prefix}-initrd.img`, compression, tree, scratch);
  // mksquashfs takes device nodes as pseudo definitions; mkfs.erofs only from the tree (needs root).
  const left = fs === 'erofs' ? makeDeviceNodes(tree, devices) : devices;
  ctx.log(`writing ${name}-${fs}.img`);
  await makeRootImage(fs, tree, join(out, `${name}-${fs}.img`), rootCompression, left);
  const modules = await writeLoaderInitrd(tree, manifest, fs, join(out, `${name}-initrd.img`), scratch);
  ctx.log(`loader initramfs loads ${modules.map((m) => m.replace(/^.*\//, '')).join(', ') || 'no modules'}`);
  copyFileSync(`${image.prefix}-kernel`, join(out, `${name}-kernel`));
  // The harness appends root=/dev/vda rootfstype=... ro and console=, as linuxkit run does.
  writeFileSync(join(out, `${name}-cmdline`), manifest.cmdline);
}
