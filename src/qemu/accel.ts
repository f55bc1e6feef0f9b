// Choose KVM or TCG for a target on this host, and say why.
import { accessSync, constants } from 'node:fs';
import type { Target } from '../config/targets.ts';
import type { Accel } from './argv.ts';

export interface AccelChoice {
  readonly accel: Accel;
  readonly reason: string;
}

/** Kernel architecture name of the host, in target terms. */
export function hostKernelArch(nodeArch = process.arch): string {
  const map: Record<string, string> = { x64: 'x86_64', arm64: 'arm64', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64' };
  return map[nodeArch] ?? nodeArch;
}

/** Pure decision: KVM only when the host runs the target's arch and /dev/kvm is usable. */
export function chooseAccel(target: Target, hostArch: string, kvmUsable: boolean, requested: 'auto' | Accel = 'auto'): AccelChoice {
  if (requested === 'tcg') return { accel: 'tcg', reason: 'TCG requested' };
  const sameArch = hostArch === target.kernelArch;
  if (requested === 'kvm') {
    if (!sameArch) return { accel: 'tcg', reason: `KVM requested but host is ${hostArch}, target is ${target.kernelArch}: TCG` };
    if (!kvmUsable) return { accel: 'tcg', reason: 'KVM requested but /dev/kvm is not usable: TCG' };
    return { accel: 'kvm', reason: 'KVM requested' };
  }
  if (!sameArch) return { accel: 'tcg', reason: `host is ${hostArch}, target is ${target.kernelArch}: TCG emulation` };
  if (!kvmUsable) return { accel: 'tcg', reason: '/dev/kvm is missing or not usable: TCG emulation' };
  return { accel: 'kvm', reason: `host is ${hostArch} and /dev/kvm is usable: KVM` };
}

/** Whether this process can open /dev/kvm for reading and writing. */
export function kvmUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
