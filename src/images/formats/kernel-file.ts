// The kernel a bootloader loads. GRUB on arm64 EFI starts the kernel's EFI stub, which needs the
// uncompressed Image; the builder gzips arm64 Images for QEMU -kernel (compress.ts shrinkKernel).
import { closeSync, copyFileSync, openSync, readSync } from 'node:fs';
import { runChecked } from '../exec.ts';

export function isGzip(path: string): boolean {
  const head = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** Copy the image's kernel to `out` in the form firmware-booted loaders take (gunzipped if gzip). */
export async function bootableKernel(kernel: string, out: string): Promise<void> {
  if (!isGzip(kernel)) {
    copyFileSync(kernel, out);
    return;
  }
  const fd = openSync(out, 'w');
  try {
    await runChecked('gzip', ['-d', '-c', kernel], { stdoutFile: fd });
  } finally {
    closeSync(fd);
  }
}
