// The serial console device of a target (targets/<name>.yml console.device), for the kernel
// command line written into bootloader configs: firmware-booted images carry their own cmdline.
import { loadTargets, selectTargets } from '../../config/targets.ts';

export function consoleDevice(target: string): string {
  return selectTargets(loadTargets(), [target])[0]!.console.device;
}
