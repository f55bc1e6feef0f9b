// What the bench ran on: cores, CPU model, QEMU versions, load, and QEMU processes that are not ours.
import { execFile } from 'node:child_process';
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

/** "7.2.22" from the first line of `qemu-system-* --version`, or undefined. */
export function qemuVersionOf(output: string): string | undefined {
  return /QEMU emulator version (\S+)/.exec(output)?.[1];
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

/** The version a QEMU binary reports, or its error in brackets. */
export function qemuVersion(binary: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (error, stdout) => {
      resolve(qemuVersionOf(String(stdout)) ?? `[${error ? error.message.split('\n')[0] : 'unknown version'}]`);
    });
  });
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
