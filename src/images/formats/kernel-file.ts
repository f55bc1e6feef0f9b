// The kernel a bootloader loads. GRUB on arm64 EFI starts the kernel's EFI stub, which needs the
// uncompressed Image; the builder gzips arm64 Images for QEMU -kernel (compress.ts shrinkKernel).
import { copyFileSync } from 'node:fs';
import { readBytes } from '../../util/read-bytes.ts';
import { decompressFile } from '../compress.ts';

function isGzip(path: string): boolean {
  const head = readBytes(path, 2);
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** Copy the image's kernel to `out` in the form firmware-booted loaders take (gunzipped if gzip). */
export async function bootableKernel(kernel: string, out: string): Promise<void> {
  if (isGzip(kernel)) await decompressFile('gzip', kernel, out);
  else copyFileSync(kernel, out);
}
