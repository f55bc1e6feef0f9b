// Whether a process runs in a container, judged from what the kernel says of it (/proc): its mount
// namespace differs from PID 1's and, besides, either its PID namespace differs from PID 1's or its
// cgroup is a container's (not PID 1's, not the root, not an ancestor of PID 1's, and not one a
// service manager gives to its own units or login sessions). `unshare -m` alone is not a container.
import type { ScannedProcess } from './service-scan.ts';

/** The cgroup path that stands for the process: the cgroup v2 (unified) one, else a v1 hierarchy's. */
export function cgroupPath(lines: readonly string[]): string | undefined {
  const parsed = lines.map((l) => /^(\d+):([^:]*):(\/.*)$/.exec(l));
  if (parsed.some((m) => m === null)) return undefined;
  const entries = (parsed as RegExpExecArray[]).map((m) => ({ id: m[1]!, controllers: m[2]!.split(','), path: m[3]! }));
  // The same hierarchy twice means the text cannot be trusted (a path with a newline in it).
  if (new Set(entries.map((e) => e.id)).size !== entries.length) return undefined;
  const unified = entries.find((e) => e.id === '0' && e.controllers.join('') === '');
  if (unified) return unified.path;
  for (const controller of ['pids', 'memory', 'cpu', 'name=systemd']) {
    const e = entries.find((x) => x.controllers.includes(controller));
    if (e) return e.path;
  }
  return entries[0]?.path;
}

/** Why `path` is not a container's cgroup, or undefined when it is one. */
function notContainerCgroup(path: string | undefined, initPath: string | undefined): string | undefined {
  if (path === undefined) return 'cgroup unreadable';
  if (initPath === undefined) return "PID 1's cgroup unreadable";
  if (path === initPath) return `PID 1's cgroup ${path}`;
  if (path === '/') return 'the root cgroup';
  if (initPath.startsWith(`${path}/`)) return `cgroup ${path}, an ancestor of PID 1's`;
  if (/\.service$/.test(path.split('/').at(-1) ?? '')) return `cgroup ${path}, a systemd service unit`;
  if (/(^|\/)user\.slice(\/|$)/.test(path)) return `cgroup ${path}, a login session's`;
  return undefined;
}

type Containment =
  | { readonly kind: 'contained' | 'loose'; readonly why: string }
  /** The process's namespaces could not be read (it exited while it was scanned). */
  | { readonly kind: 'vanished'; readonly why: string };

/** Whether `p` runs in a container, against PID 1 (`init`, whose namespaces must have been read). */
export function containment(p: ScannedProcess, init: ScannedProcess): Containment {
  const { mnt, pid: pidns } = p.ns;
  if (!mnt || !pidns) return { kind: 'vanished', why: 'exited before its namespaces could be read' };
  const initMnt = init.ns.mnt;
  const initPid = init.ns.pid;
  const cgroup = cgroupPath(p.cgroup);
  const notContainer = notContainerCgroup(cgroup, cgroupPath(init.cgroup));
  const where = `${mnt} ${pidns} cgroup ${cgroup ?? '?'}`;
  if (mnt === initMnt) return { kind: 'loose', why: `runs in PID 1's mount namespace ${initMnt}` };
  if (pidns !== initPid) return { kind: 'contained', why: `own mount and PID namespaces (${where})` };
  if (!notContainer) return { kind: 'contained', why: `own mount namespace and container cgroup (${where}; PID namespace shared with PID 1)` };
  return { kind: 'loose', why: `has a private mount namespace ${mnt} only: PID 1's PID namespace ${initPid}, ${notContainer} (unshare -m is not a container)` };
}

/** PID 1 as scanned, when its mount and PID namespaces could be read. */
export function scannedInit(processes: ReadonlyMap<number, ScannedProcess>): ScannedProcess | undefined {
  const init = processes.get(1);
  return init?.ns.mnt && init.ns.pid ? init : undefined;
}
