// What a LinuxKit output prefix contains, detected from the files present.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.ts';

/** Boot formats kittest knows how to start. */
export type BootFormat = 'kernel+initrd' | 'kernel+squashfs' | 'kernel+erofs';

/** The files of one image, by role, as absolute paths. */
export interface BootFiles {
  readonly prefix: string;
  readonly format: BootFormat;
  readonly kernel: string;
  readonly initrd?: string;
  readonly rootDisk?: string;
  /** Kernel command line from PREFIX-cmdline (may be empty). */
  readonly cmdline: string;
  /** Every file that makes the image (hashed in reports, never written). */
  readonly files: readonly string[];
}

function nonEmptyFile(path: string, role: string): string {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new UsageError(`${role} ${path} is not a regular file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`missing image file: ${path} (${role})`);
  }
  if (size === 0) throw new UsageError(`image file ${path} is empty (${role})`);
  return path;
}

/** Find which LinuxKit output sits at `prefix` (PREFIX-kernel, -initrd.img, -squashfs.img, -cmdline). */
export function detectBootFiles(prefix: string): BootFiles {
  const kernel = `${prefix}-kernel`;
  const candidates: [BootFormat, string][] = [
    ['kernel+squashfs', `${prefix}-squashfs.img`],
    ['kernel+erofs', `${prefix}-erofs.img`],
    ['kernel+initrd', `${prefix}-initrd.img`],
  ];
  const found = candidates.find(([, path]) => existsSync(path));
  if (!existsSync(kernel)) {
    throw new UsageError(`missing image file: ${kernel} (no LinuxKit kernel at prefix ${prefix})`);
  }
  if (!found) {
    throw new UsageError(`missing image file: ${prefix}-initrd.img (or -squashfs.img, -erofs.img) beside ${kernel}`);
  }
  const [format, rootPath] = found;
  nonEmptyFile(kernel, 'kernel');
  nonEmptyFile(rootPath, format === 'kernel+initrd' ? 'initrd' : 'root disk');
  const cmdlineFile = `${prefix}-cmdline`;
  const cmdline = existsSync(cmdlineFile) ? readFileSync(cmdlineFile, 'utf8').trim() : '';
  const files = [kernel, rootPath, ...(existsSync(cmdlineFile) ? [cmdlineFile] : [])];
  return format === 'kernel+initrd'
    ? { prefix, format, kernel, initrd: rootPath, cmdline, files }
    : { prefix, format, kernel, rootDisk: rootPath, cmdline, files };
}
