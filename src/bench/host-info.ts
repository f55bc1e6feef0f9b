// What the bench ran on: cores, CPU model, QEMU versions, load, and QEMU processes that are not ours.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';

/** The machine a result was measured on. */
export interface HostInfo {
  readonly name: string;
  readonly cores: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
}

/** CPU model from /proc/cpuinfo text: "model name" (x86), else "Processor"/"CPU part"/"machine" lines. */
export function cpuModelOf(cpuinfo: string): string | undefined {
  for (const key of ['model name', 'Processor', 'cpu model', 'machine', 'CPU part']) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`, 'm').exec(cpuinfo);
    if (m?.[1]?.trim()) return m[1].trim();
  }
  return undefined;
}

/** A host name safe to put in a file name. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 64) || 'host';
}

/** This machine. */
export function hostInfo(): HostInfo {
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux: fall back on what Node says.
  }
  return {
    name: hostname(),
    cores: cpus().length,
    cpuModel: cpuModelOf(cpuinfo) ?? cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** 1-minute load average. */
export function load1(): number {
  return loadavg()[0] ?? 0;
}

function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** PIDs of qemu-system-* processes that this process did not start (directly or through children). */
export function foreignQemu(self = process.pid): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (!comm.startsWith('qemu-system')) continue;
    let pid: number | undefined = Number(entry);
    let ours = false;
    for (let depth = 0; pid !== undefined && pid > 1 && depth < 32; depth++) {
      if (pid === self) {
        ours = true;
        break;
      }
      pid = parentOf(pid);
    }
    if (!ours) found.push(Number(entry));
  }
  return found;
}

/** CPU time in clock ticks: busy time of the whole machine (from /proc/stat) and of this process with its reaped children. */
export interface CpuTicks {
  readonly machineBusy: number;
  readonly ownTree: number;
}

/** Busy ticks from the "cpu" line of /proc/stat: user, nice, system, irq, softirq (not idle, iowait or steal). */
export function machineBusyOf(stat: string): number | undefined {
  const m = /^cpu\s+(.+)$/m.exec(stat);
  if (!m?.[1]) return undefined;
  const [user, nice, system, , , irq, softirq] = m[1].trim().split(/\s+/).map(Number);
  const busy = [user, nice, system, irq, softirq];
  return busy.every((v) => v !== undefined && Number.isFinite(v)) ? busy.reduce((s: number, v) => s + (v as number), 0) : undefined;
}

/** utime + stime + cutime + cstime from /proc/PID/stat text (children count once they have been waited for). */
export function ownTreeOf(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0, so utime (14) .. cstime (17) are 11..14.
  const times = fields.slice(11, 15).map(Number);
  return times.length === 4 && times.every((v) => Number.isFinite(v)) ? times.reduce((s, v) => s + v, 0) : undefined;
}

/** Both counters now, or undefined off Linux. */
export function cpuTicks(): CpuTicks | undefined {
  try {
    const machineBusy = machineBusyOf(readFileSync('/proc/stat', 'utf8'));
    const ownTree = ownTreeOf(readFileSync('/proc/self/stat', 'utf8'));
    return machineBusy === undefined || ownTree === undefined ? undefined : { machineBusy, ownTree };
  } catch {
    return undefined;
  }
}

/** Cores' worth of CPU that other processes used between two readings `wallMs` apart (USER_HZ is 100 on Linux). */
export function foreignCores(before: CpuTicks, after: CpuTicks, wallMs: number, ticksPerSecond = 100): number {
  const foreign = after.machineBusy - before.machineBusy - (after.ownTree - before.ownTree);
  return wallMs > 0 ? Math.max(0, foreign / ticksPerSecond / (wallMs / 1000)) : 0;
}
