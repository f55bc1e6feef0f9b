// services-isolated: the RNG service and the DHCP client run in containers, judged from the
// kernel's view of each process (namespaces and cgroup), not from names of parents or records.
//
// Services: every process holding the RNG source open (as in the rng case), every process named
// like the RNG service (processNames) and every process named like a DHCP client (clientNames).
// A service is isolated when its mount namespace differs from PID 1's AND either its PID namespace
// differs from PID 1's, or its cgroup is a container's: not PID 1's, not the root, not an ancestor
// of PID 1's, and not one a service manager gives to its own units or login sessions (a systemd
// `.service` unit, anything under `user.slice`). `unshare -m` alone therefore does not pass.
// The case passes when every observed service is isolated and at least one was observed; a
// one-shot DHCP client that already exited is reported as not observed, never as isolated.
// Only /proc is read: no runc or ctr is started (each start takes seconds under emulation).
import { type CheckContext, defineCheck, fail, pass, settle, type Verdict } from '../check.ts';
import { sourcesSetting } from '../service-scan.ts';
import { label, parseScan, type ScannedProcess, serviceScanScript, sourceHolders } from '../service-scan.ts';

export interface IsolationSettings {
  readonly sources: readonly string[];
  readonly processNames: readonly string[];
  readonly clientNames: readonly string[];
}

export function isolationScript(settings: IsolationSettings): string {
  return serviceScanScript({ sources: settings.sources, groups: { rng: settings.processNames, dhcp: settings.clientNames }, isolation: true });
}

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
export function notContainerCgroup(path: string | undefined, initPath: string | undefined): string | undefined {
  if (path === undefined) return 'cgroup unreadable';
  if (initPath === undefined) return "PID 1's cgroup unreadable";
  if (path === initPath) return `PID 1's cgroup ${path}`;
  if (path === '/') return 'the root cgroup';
  if (initPath.startsWith(`${path}/`)) return `cgroup ${path}, an ancestor of PID 1's`;
  if (/\.service$/.test(path.split('/').at(-1) ?? '')) return `cgroup ${path}, a systemd service unit`;
  if (/(^|\/)user\.slice(\/|$)/.test(path)) return `cgroup ${path}, a login session's`;
  return undefined;
}

interface Observed {
  readonly process: ScannedProcess;
  readonly role: string;
  readonly isolated: boolean;
  readonly why: string;
}

const who = (o: Observed): string => `${o.process.comm || '?'} (pid ${o.process.pid}, ${o.role})`;

/** Pure judgement of the services-isolated script's output. */
export function judgeIsolation(output: string, settings: IsolationSettings): { passed: boolean; message: string; observed: number } {
  const scan = parseScan(output);
  const init = scan.processes.get(1);
  const hostMnt = init?.ns.mnt;
  const hostPid = init?.ns.pid;
  if (!init || !hostMnt || !hostPid) return { passed: false, message: "cannot read PID 1's mount and PID namespaces", observed: 0 };
  const initCgroup = cgroupPath(init.cgroup);

  const roles = new Map<number, string>();
  for (const h of sourceHolders(scan, settings.sources)) roles.set(h.process.pid, `holds ${h.fd.path || settings.sources[0]}`);
  for (const p of scan.processes.values()) {
    if (!roles.has(p.pid) && p.groups.includes('rng')) roles.set(p.pid, 'named like the RNG service');
    if (!roles.has(p.pid) && p.groups.includes('dhcp')) roles.set(p.pid, 'DHCP client');
  }

  const observed: Observed[] = [];
  const vanished: ScannedProcess[] = [];
  for (const [pid, role] of roles) {
    const p = scan.processes.get(pid)!;
    const { mnt, pid: pidns } = p.ns;
    if (!mnt || !pidns) {
      vanished.push(p);
      continue;
    }
    const cgroup = cgroupPath(p.cgroup);
    const notContainer = notContainerCgroup(cgroup, initCgroup);
    const where = `${mnt} ${pidns} cgroup ${cgroup ?? '?'}`;
    if (mnt === hostMnt) {
      observed.push({ process: p, role, isolated: false, why: `runs in PID 1's mount namespace ${hostMnt}` });
    } else if (pidns !== hostPid) {
      observed.push({ process: p, role, isolated: true, why: `own mount and PID namespaces (${where})` });
    } else if (!notContainer) {
      observed.push({ process: p, role, isolated: true, why: `own mount namespace and container cgroup (${where}; PID namespace shared with PID 1)` });
    } else {
      observed.push({ process: p, role, isolated: false, why: `has a private mount namespace ${mnt} only: PID 1's PID namespace ${hostPid}, ${notContainer} (unshare -m is not a container)` });
    }
  }

  const dhcpSeen = observed.some((o) => o.process.groups.includes('dhcp'));
  const rngSeen = observed.some((o) => o.role.startsWith('holds') || o.process.groups.includes('rng'));
  const notes: string[] = [];
  if (!rngSeen) notes.push(`RNG service not observed (nothing holds ${settings.sources.join(' or ')} open, no ${settings.processNames.join('/')} runs)`);
  if (!dhcpSeen) notes.push(`DHCP client not observed (no ${settings.clientNames.join('/')} runs: a one-shot client that exited leaves nothing to judge)`);
  if (vanished.length) notes.push(`${vanished.map(label).join(', ')} exited before its namespaces could be read`);
  const noteText = notes.length ? `; ${notes.join('; ')}` : '';

  if (observed.length === 0) {
    return { passed: false, message: `no service observed, so their isolation cannot be shown${noteText}`, observed: 0 };
  }
  const loose = observed.filter((o) => !o.isolated);
  if (loose.length) {
    return { passed: false, message: `not isolated: ${loose.map((o) => `${who(o)} ${o.why}`).join('; ')}${noteText}`, observed: observed.length };
  }
  return {
    passed: true,
    message: `isolated: ${observed.map((o) => `${who(o)} ${o.why}`).join('; ')}${noteText}`,
    observed: observed.length,
  };
}

export const servicesIsolatedCheck = defineCheck<IsolationSettings>({
  name: 'services-isolated',
  summary: 'every service process runs in a container: its own mount namespace, and its own PID namespace or a container cgroup',
  settings: {
    sources: sourcesSetting,
    processNames: { type: 'array', items: { type: 'string' }, default: ['rngd'], description: 'Processes with these names are judged as services too (as well as any process holding an RNG source).' },
    clientNames: { type: 'array', items: { type: 'string' }, default: ['dhcpcd', 'udhcpc', 'dhclient'], description: 'Process names of DHCP clients, judged for isolation while they run.' },
  },
  settles: true,
  check: (context) => isolationJudged(context),
});

function isolationJudged(context: CheckContext<IsolationSettings>): Promise<Verdict> {
  const settings = context.settings;
  const script = isolationScript(settings);
  let observed = 0;
  // Only "nothing observed" is retried (services may still be starting); a service outside a
  // container does not move into one later.
  return settle(
    context,
    async () => {
      const { output } = await context.host.run(script);
      const verdict = judgeIsolation(output, settings);
      observed = verdict.observed;
      return verdict.passed ? pass(verdict.message, output) : fail(verdict.message, output);
    },
    2000,
    () => observed === 0,
  );
}
