// Catch an empty or truncated initrd before booting: a kernel that finds half an initramfs
// panics far from the cause, so test the compressed stream to its end first.
import { spawnSync } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { UsageError } from '../errors.ts';
import { findOnPath } from '../util/find-binary.ts';
import { readBytes } from '../util/read-bytes.ts';

type InitrdCompression = 'gzip' | 'zstd' | 'xz' | 'lz4' | 'bzip2' | 'cpio' | 'unknown';

/** Compression of an initrd from its magic bytes. */
function initrdCompression(head: Buffer): InitrdCompression {
  if (head[0] === 0x1f && (head[1] === 0x8b || head[1] === 0x9e)) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.readUInt32LE(0) === 0x184c2102) return 'lz4';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.subarray(0, 6).toString('latin1') === '070701' || head.subarray(0, 6).toString('latin1') === '070702') return 'cpio';
  return 'unknown';
}

function gunzipToEnd(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const gunzip = createGunzip();
    gunzip.on('data', () => {});
    gunzip.on('end', () => resolve(undefined));
    gunzip.on('error', (error) => resolve(error.message));
    createReadStream(path).on('error', (error) => resolve(error.message)).pipe(gunzip);
  });
}

function toolTest(tool: string, path: string): string | undefined {
  if (!findOnPath(tool)) return undefined; // Cannot test without the tool; the kernel will tell.
  const r = spawnSync(tool, ['-t', '-q', path], { encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stderr.trim().split('\n').pop() ?? `${tool} -t failed`);
}

/** Throws a UsageError when `path` is empty or its compressed stream is cut short. */
export async function checkInitrd(path: string): Promise<InitrdCompression> {
  if (statSync(path).size === 0) throw new UsageError(`initrd ${path} is empty`);
  const kind = initrdCompression(Buffer.concat([readBytes(path, 16)], 16));
  let problem: string | undefined;
  if (kind === 'gzip') problem = await gunzipToEnd(path);
  else if (kind === 'zstd') problem = toolTest('zstd', path);
  else if (kind === 'xz') problem = toolTest('xz', path);
  else if (kind === 'lz4') problem = toolTest('lz4', path);
  if (problem) throw new UsageError(`initrd ${path} is truncated or corrupt (${kind}: ${problem.replace(/^.*?: /, '')})`);
  return kind;
}
