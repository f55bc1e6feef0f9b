// Per-run firmware state: UEFI keeps boot entries in its variable store, so every run gets a fresh
// private copy of the target's template and no run can change what the next one boots.
import { constants, copyFileSync } from 'node:fs';
import type { Target } from '../config/targets.ts';
import type { BootFiles } from '../images/boot-files.ts';
import { efiVarsPath } from './argv.ts';

/** Put what the machine's firmware writes into its run folder (before QEMU starts). */
export function prepareFirmware(target: Target, image: BootFiles, runDir: string): void {
  if (image.firmware !== 'efi' || !target.efi) return;
  copyFileSync(target.efi.vars, efiVarsPath(runDir), constants.COPYFILE_FICLONE);
}
