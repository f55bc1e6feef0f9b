// Can this host run a target: its QEMU binary on PATH, its firmware, and the UEFI firmware an EFI
// image needs. The one answer; `kittest doctor`, the boot preparation (src/boot/prepare.ts) and the
// machine's own start word it for their readers.
import { existsSync } from 'node:fs';
import type { Target } from '../config/targets.ts';
import { findOnPath } from '../util/find-binary.ts';

/** Something the host lacks to run a target, and the Debian package that provides it. */
export interface Missing {
  readonly what: 'qemu' | 'firmware' | 'uefi';
  readonly file: string;
  /** Absent when the target file does not name one. */
  readonly package?: string;
}

/** What `image` needs of the host's firmware: a boot medium brings its own, an EFI image needs UEFI. */
interface FirmwareNeeds {
  readonly bootMedium?: unknown;
  readonly firmware?: 'bios' | 'efi';
}

/**
 * What this host lacks to boot `image` on `target`: QEMU, then the target's firmware, then the UEFI
 * firmware. Without an image, QEMU and the target's firmware (UEFI matters only for *-efi formats).
 */
export function hostLacks(target: Target, image?: FirmwareNeeds): Missing[] {
  const missing: Missing[] = [];
  if (!findOnPath(target.qemu.binary)) missing.push({ what: 'qemu', file: target.qemu.binary, package: target.qemu.package });
  if (target.qemu.firmware && !image?.bootMedium && !existsSync(target.qemu.firmware)) missing.push({ what: 'firmware', file: target.qemu.firmware, package: target.qemu.firmwarePackage });
  const efi = image?.firmware === 'efi' ? target.efi : undefined;
  for (const file of efi ? [efi.code, efi.vars] : []) if (!existsSync(file)) missing.push({ what: 'uefi', file, package: efi!.package });
  return missing;
}

/** The UEFI firmware files of `target` this host lacks (they matter only for the *-efi formats). */
export function uefiLacking(target: Target): string[] {
  return target.efi ? [target.efi.code, target.efi.vars].filter((f) => !existsSync(f)) : [];
}
