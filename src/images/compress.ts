// Compression of the reference image's parts. The initramfs: the method the kernel unpacks fastest
// (CONFIG_RD_LZ4, then ZSTD, XZ, gzip): under emulation the decompressor's speed is what counts
// (see builder.ts). The squashfs root of the disk formats: the smallest method the kernel reads
// (CONFIG_RD_ZSTD, then XZ, then gzip; the Debian kernels' squashfs reads the same ones).
import { closeSync, existsSync, openSync, readFileSync, renameSync } from 'node:fs';
import { readBytes } from '../util/read-bytes.ts';
import { runChecked } from './exec.ts';

export type Compression = 'lz4' | 'zstd' | 'xz' | 'gzip';

/** What squashfs roots use. */
export type RootCompression = 'zstd' | 'xz' | 'gzip';

/** Pick the compression from a kernel config text (/boot/config-KVER). */
export function chooseCompression(kernelConfig: string): RootCompression {
  if (/^CONFIG_RD_ZSTD=y$/m.test(kernelConfig)) return 'zstd';
  if (/^CONFIG_RD_XZ=y$/m.test(kernelConfig)) return 'xz';
  return 'gzip';
}

/** The text of a kernel config file, '' when there is none (the choosers then pick gzip). */
export function readKernelConfig(configFile: string | undefined): string {
  return configFile && existsSync(configFile) ? readFileSync(configFile, 'utf8') : '';
}

/** The initramfs compression for a kernel config text: the fastest to unpack it supports. */
export function chooseInitramfsCompression(kernelConfig: string): Compression {
  return /^CONFIG_RD_LZ4=y$/m.test(kernelConfig) ? 'lz4' : chooseCompression(kernelConfig);
}

/** Compress `input` into `output` with `method` (settings the kernel's decompressors accept). */
export async function compressFile(method: Compression, input: string, output: string): Promise<void> {
  const fd = openSync(output, 'w');
  try {
    // The kernel's unlz4 reads the legacy frame format only (-l).
    if (method === 'lz4') await runChecked('lz4', ['-q', '-l', '-9', '-c', input], { stdoutFile: fd });
    else if (method === 'zstd') await runChecked('zstd', ['-q', '-c', '-T0', '-12', input], { stdoutFile: fd });
    else if (method === 'xz') await runChecked('xz', ['-c', '-T0', '--check=crc32', '-6', input], { stdoutFile: fd });
    else await runChecked('gzip', ['-c', '-n', '-9', input], { stdoutFile: fd });
  } finally {
    closeSync(fd);
  }
}

/** Decompress `input` (made by `method`) into `output`. */
export async function decompressFile(method: Compression, input: string, output: string): Promise<void> {
  const fd = openSync(output, 'w');
  try {
    await runChecked(method, [...(method === 'zstd' || method === 'lz4' ? ['-q'] : []), '-d', '-c', input], { stdoutFile: fd });
  } finally {
    closeSync(fd);
  }
}

/** True for an uncompressed arm64 Image (magic "ARM\x64" at offset 0x38). */
function isRawArm64Image(path: string): boolean {
  const head = readBytes(path, 64);
  return head.length === 64 && head.readUInt32LE(0x38) === 0x644d5241;
}

/** Gzip an uncompressed arm64 Image in place (QEMU -kernel unpacks it); returns whether it did. */
export async function shrinkKernel(path: string): Promise<boolean> {
  if (!isRawArm64Image(path)) return false;
  await compressFile('gzip', path, `${path}.gz`);
  renameSync(`${path}.gz`, path);
  return true;
}
