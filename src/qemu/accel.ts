// Choose KVM or TCG for a target on this host, and say why.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Target } from '../config/targets.ts';
import type { Accel } from './argv.ts';
import { onInterruptExit } from '../util/signals.ts';
import { QmpClient } from './qmp.ts';

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
    probe = runKvmProbe(target, aliveMs, startMs);
    probes.set(key, probe);
  }
  return probe;
}

async function runKvmProbe(target: Target, aliveMs: number, startMs: number): Promise<{ ok: boolean; why: string }> {
  const args = ['-accel', 'kvm', '-machine', target.qemu.machine, '-cpu', target.qemu.cpu.kvm ?? 'host', '-m', '64', '-nodefaults', '-display', 'none', '-no-reboot', '-qmp', 'stdio'];
  const child = spawn(target.qemu.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {}); // QEMU gone: the close handler says why
  // A second signal exits kittest at once: the probe's QEMU must not outlive it.
  const forget = onInterruptExit(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  // 'close' comes after stderr is drained, so the reason is complete.
  const exited = new Promise<string>((resolve) => {
    child.on('error', (e) => resolve(e.message));
    child.on('close', () => {
      const line = stderr.trim().split('\n').find((l) => /error/i.test(l)) ?? stderr.trim().split('\n')[0] ?? 'QEMU exited';
      resolve(line.replace(/^qemu-system-\S+: /, '') || 'QEMU exited');
    });
  });
  const gone = new AbortController();
  void exited.then((why) => gone.abort(new Error(why)));
  const pause = (ms: number) => new Promise<undefined>((r) => setTimeout(() => r(undefined), ms));
  const deadline = Date.now() + startMs;
  try {
    const qmp = await QmpClient.overStreams('KVM probe (QMP on stdio)', child.stdout, child.stdin, () => child.kill('SIGKILL'), { timeoutMs: startMs, signal: gone.signal });
    // A loaded host can take seconds to get to running, so wall time alone proves nothing.
    while (!(await qmp.queryStatus({ timeoutMs: Math.max(1, deadline - Date.now()) })).running) {
      if (Date.now() > deadline) return { ok: false, why: `QEMU with KVM was not running after ${startMs / 1000} s` };
      await pause(100);
    }
    const died = await Promise.race([exited, pause(aliveMs)]);
    return died === undefined ? { ok: true, why: 'KVM probe ran a vCPU' } : { ok: false, why: died };
  } catch (e) {
    // QEMU dying closes QMP too: its stderr says why better than the QMP error does.
    const why = await Promise.race([exited, pause(500)]);
    return { ok: false, why: why ?? (e as Error).message };
  } finally {
    child.kill('SIGKILL');
    forget();
  }
}

/** Full decision for one target on this host: static checks, then a real KVM probe when KVM would be chosen. */
export async function detectAccel(target: Target, requested: 'auto' | Accel = 'auto'): Promise<AccelChoice> {
  const choice = chooseAccel(target, hostKernelArch(), kvmUsable(), requested);
  if (choice.accel !== 'kvm') return choice;
  const probe = await probeKvm(target);
  return probe.ok ? choice : { accel: 'tcg', reason: `/dev/kvm opens but KVM cannot run a vCPU (${probe.why}): TCG emulation` };
}
