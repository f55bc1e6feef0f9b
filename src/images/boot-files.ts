// What a LinuxKit output contains, detected from the files present (names as `linuxkit build` writes them).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.ts';
import type { BootFormat } from '../config/boot-formats.ts';

/** Formats the kernel is handed to QEMU for (-kernel); the rest are booted by firmware from a disk or CD. */
type KernelFormat = 'kernel+initrd' | 'kernel+squashfs' | 'kernel+erofs';
type Firmware = 'bios' | 'efi';

/** How a firmware-booted image is attached. */
interface BootMedium {
  readonly path: string;
  readonly media: 'cdrom' | 'disk';
  /** QEMU block driver. */
  readonly driver: 'raw' | 'qcow2';
}

/** The files of one image, by role, as absolute paths. */
export interface BootFiles {
  /** The LinuxKit prefix (kernel formats) or the image file (firmware formats). */
  readonly prefix: string;
  readonly format: BootFormat;
  readonly kernel?: string;
  readonly initrd?: string;
  /** Root filesystem disk of kernel+squashfs / kernel+erofs. */
  readonly rootDisk?: string;
  /** ISO or disk image that firmware boots. */
  readonly bootMedium?: BootMedium;
  /** Firmware a bootable medium needs. */
  readonly firmware?: Firmware;
  /** Kernel command line from PREFIX-cmdline (may be empty; firmware formats carry their own). */
  readonly cmdline: string;
  /** Every file that makes the image (hashed in reports, never written). */
  readonly files: readonly string[];
}

/** Suffix of each firmware-booted format's file after the prefix (linuxkit build's naming). */
export const mediumSuffixes: readonly [BootFormat, string][] = [
  ['iso-efi', '-efi.iso'],
  ['iso-bios', '.iso'],
  ['raw-bios', '-bios.img'],
  ['raw-efi', '-efi.img'],
  ['qcow2-efi', '-efi.qcow2'],
  ['qcow2-bios', '.qcow2'],
];

const kernelRoots: readonly [KernelFormat, string][] = [
  ['kernel+squashfs', '-squashfs.img'],
  ['kernel+erofs', '-erofs.img'],
  ['kernel+initrd', '-initrd.img'],
];

/** bios/efi of a firmware-booted format; undefined for kernel formats. */
function firmwareOf(format: BootFormat): Firmware | undefined {
  if (format.endsWith('-efi')) return 'efi';
  if (format.endsWith('-bios')) return 'bios';
  return undefined;
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

/** The format of a firmware-booted file, from its name. */
export function mediumFormatOfFile(path: string): BootFormat | undefined {
  const name = basename(path);
  return mediumSuffixes.find(([, suffix]) => name.endsWith(suffix))?.[0];
}

function mediumFiles(path: string, format: BootFormat): BootFiles {
  nonEmptyFile(path, format);
  const media = format.startsWith('iso-') ? 'cdrom' : 'disk';
  const driver = format.startsWith('qcow2-') ? 'qcow2' : 'raw';
  return { prefix: path, format, bootMedium: { path, media, driver }, firmware: firmwareOf(format), cmdline: '', files: [path] };
}

function kernelFiles(prefix: string, format: KernelFormat, rootPath: string): BootFiles {
  const kernel = nonEmptyFile(`${prefix}-kernel`, 'kernel');
  nonEmptyFile(rootPath, format === 'kernel+initrd' ? 'initrd' : 'root disk');
  const cmdlineFile = `${prefix}-cmdline`;
  const cmdline = existsSync(cmdlineFile) ? readFileSync(cmdlineFile, 'utf8').trim() : '';
  const cmdlineFiles = existsSync(cmdlineFile) ? [cmdlineFile] : [];
  if (format === 'kernel+initrd') return { prefix, format, kernel, initrd: rootPath, cmdline, files: [kernel, rootPath, ...cmdlineFiles] };
  // A kernel with its disk drivers as modules (Debian's) needs a small initrd to load them; LinuxKit's has them built in.
  const loader = `${prefix}-initrd.img`;
  const initrd = existsSync(loader) ? nonEmptyFile(loader, 'module loader initrd') : undefined;
  return { prefix, format, kernel, initrd, rootDisk: rootPath, cmdline, files: [kernel, rootPath, ...(initrd ? [initrd] : []), ...cmdlineFiles] };
}

/** Every format present at `prefix` (several when linuxkit build was given several -format flags). */
export function formatsAt(prefix: string): BootFormat[] {
  const found: BootFormat[] = [];
  if (existsSync(`${prefix}-kernel`)) {
    const root = kernelRoots.find(([, suffix]) => existsSync(prefix + suffix));
    if (root) found.push(root[0]);
  }
  for (const [format, suffix] of mediumSuffixes) if (existsSync(prefix + suffix)) found.push(format);
  return found;
}

/**
 * Find which LinuxKit output `path` names: a prefix (PREFIX-kernel, -initrd.img, -squashfs.img,
 * -erofs.img, -cmdline, PREFIX.iso, PREFIX-efi.iso, PREFIX-bios.img, PREFIX-efi.img, PREFIX.qcow2,
 * PREFIX-efi.qcow2) or one of the image files itself. `wanted` picks one when several are present.
 */
export function detectBootFiles(path: string, wanted?: BootFormat): BootFiles {
  const direct = existsSync(path) && statSync(path).isFile() ? mediumFormatOfFile(path) : undefined;
  if (direct) {
    if (wanted && wanted !== direct) throw new UsageError(`${path} is a ${direct} image by its name, not ${wanted}`);
    return mediumFiles(path, direct);
  }
  if (existsSync(path) && statSync(path).isFile()) {
    throw new UsageError(`cannot tell the format of ${path}: name a LinuxKit prefix or a file ending in ${mediumSuffixes.map(([, s]) => s).join(', ')}`);
  }
  const present = formatsAt(path);
  if (present.length === 0) {
    throw new UsageError(
      existsSync(`${path}-kernel`)
        ? `missing image file: ${path}-initrd.img (or -squashfs.img, -erofs.img) beside ${path}-kernel`
        : `no LinuxKit image at ${path}: none of ${path}-kernel, ${path}.iso, ${path}-efi.iso, ${path}-bios.img, ${path}-efi.img, ${path}.qcow2, ${path}-efi.qcow2`,
    );
  }
  let format: BootFormat;
  if (wanted) {
    if (!present.includes(wanted)) throw new UsageError(`no ${wanted} image at ${path} (found: ${present.join(', ')})`);
    format = wanted;
  } else if (present.length > 1) {
    throw new UsageError(`several images at ${path} (${present.join(', ')}): pick one with --format`);
  } else {
    format = present[0]!;
  }
  const root = kernelRoots.find(([f]) => f === format);
  if (root) return kernelFiles(path, root[0], path + root[1]);
  return mediumFiles(path + mediumSuffixes.find(([f]) => f === format)![1], format);
}

/** One line naming what was found, for the run's first line and the report. */
export function describeBootFiles(image: BootFiles): string {
  if (image.bootMedium) return `${image.format} (${image.firmware === 'efi' ? 'UEFI' : 'BIOS'} boot from ${image.bootMedium.media === 'cdrom' ? 'a CD' : `a ${image.bootMedium.driver} disk`})`;
  if (image.rootDisk) return `${image.format} (root on a virtio disk${image.initrd ? ', with a module loader initrd' : ''})`;
  return image.format;
}
