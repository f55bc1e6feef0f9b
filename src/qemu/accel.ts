// Choose KVM or TCG for a target on this host, and say why.
import { spawn } from 'node:child_process';
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

const probes = new Map<string, Promise<{ ok: boolean; why: string }>>();

/**
 * Whether KVM really runs a vCPU for this target: /dev/kvm can open yet fail at the first
 * register load (nested virtualisation without MSR support aborts QEMU at once). Start QEMU with
 * KVM and no guest, wait until QMP says the machine is running (a loaded host can take seconds
 * to get there, so wall time alone proves nothing), then give the vCPU `aliveMs` to fail.
 */
export function probeKvm(target: Target, aliveMs = 1000, startMs = 30_000): Promise<{ ok: boolean; why: string }> {
  const key = `${target.qemu.binary} ${target.qemu.machine} ${target.qemu.cpu.kvm ?? 'host'}`;
  let probe = probes.get(key);
  if (!probe) {
    probe = new Promise((resolve) => {
      const args = ['-accel', 'kvm', '-machine', target.qemu.machine, '-cpu', target.qemu.cpu.kvm ?? 'host', '-m', '64', '-nodefaults', '-display', 'none', '-no-reboot', '-qmp', 'stdio'];
      const child = spawn(target.qemu.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      let settled = false;
      const finish = (result: { ok: boolean; why: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(startTimer);
        child.kill('SIGKILL');
        resolve(result);
      };
      const startTimer = setTimeout(() => finish({ ok: false, why: `QEMU with KVM was not running after ${startMs / 1000} s` }), startMs);
      child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
      child.stdout.on('data', (c: Buffer) => {
        stdout = (stdout + c.toString()).slice(-4000);
        if (stdout.includes('"QMP"') && !stdout.includes('"return": {}')) {
          child.stdin.write('{"execute": "qmp_capabilities"}\n{"execute": "query-status"}\n');
          stdout = stdout.replace('"QMP"', '"greeted"');
        }
        if (/"running":\s*true/.test(stdout)) {
          stdout = '';
          setTimeout(() => finish({ ok: true, why: 'KVM probe ran a vCPU' }), aliveMs);
        }
      });
      child.stdin.on('error', () => {}); // QEMU gone: the exit handler says why
      child.on('error', (e) => finish({ ok: false, why: e.message }));
      child.on('exit', () => {
        const line = stderr.trim().split('\n').find((l) => /error/i.test(l)) ?? stderr.trim().split('\n')[0] ?? 'QEMU exited';
        finish({ ok: false, why: line.replace(/^qemu-system-\S+: /, '') });
      });
    });
    probes.set(key, probe);
  }
  return probe;
}

/** Full decision for one target on this host: static checks, then a real KVM probe when KVM would be chosen. */
export async function detectAccel(target: Target, requested: 'auto' | Accel = 'auto'): Promise<AccelChoice> {
  const choice = chooseAccel(target, hostKernelArch(), kvmUsable(), requested);
  if (choice.accel !== 'kvm') return choice;
  const probe = await probeKvm(target);
  return probe.ok ? choice : { accel: 'tcg', reason: `/dev/kvm opens but KVM cannot run a vCPU (${probe.why}): TCG emulation` };
}
