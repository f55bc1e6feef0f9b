// services-isolated: the RNG service and the DHCP client run in containers, judged from the
// kernel's view of each process (namespaces and cgroup), not from names of parents or records.
//
// Services: every process holding the RNG source open (as in the rng case), every process holding
// a DHCP client's socket (UDP bound to port 68, or a packet socket: found by the socket's inode in
// the kernel's tables, whatever the process is called), every process named like the RNG service
// (processNames) and every process named like a DHCP client (clientNames).
// A service is isolated when its mount namespace differs from PID 1's AND either its PID namespace
// differs from PID 1's, or its cgroup is a container's: not PID 1's, not the root, not an ancestor
// of PID 1's, and not one a service manager gives to its own units or login sessions (a systemd
// `.service` unit, anything under `user.slice`). `unshare -m` alone therefore does not pass.
// The case passes when every observed service is isolated and at least one was observed; a
// one-shot DHCP client that already exited is reported as not observed, never as isolated.
// Only /proc is read: no runc or ctr is started (each start takes seconds under emulation).
import { type CheckContext, defineCheck, fail, pass, settle, type Verdict } from '../check.ts';
import { containment, scannedInit } from '../containment.ts';
import { allDeclaredStarted, declarationsScript, feedsSetting, label, parseScan, type ScannedProcess, serviceScanScript, sourcesSetting, taskScanScript } from '../service-scan.ts';
import { rngHolders } from './rng.ts';

interface IsolationSettings {
  readonly sources: readonly string[];
  readonly feeds: readonly string[];
  readonly processNames: readonly string[];
  readonly clientNames: readonly string[];
}

export function isolationScript(settings: IsolationSettings): string {
  const scan = serviceScanScript({ sources: [...settings.sources, ...settings.feeds], groups: { rng: settings.processNames, dhcp: settings.clientNames }, isolation: true, dhcpSockets: true });
  // With the declarations and the runtime's tasks: waiting ends once every declared service has started.
  return `${scan}\n${taskScanScript([])}\n${declarationsScript()}`;
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
  const init = scannedInit(scan.processes);
  if (!init) return { passed: false, message: "cannot read PID 1's mount and PID namespaces", observed: 0 };

  const roles = new Map<number, string>();
  for (const h of rngHolders(scan, settings)) roles.set(h.process.pid, h.role === 'reads' ? `holds ${h.fd.path || settings.sources[0]}` : `feeds the kernel pool through ${h.fd.path || settings.feeds[0]}`);
  for (const p of scan.processes.values()) {
    const socket = p.sockets.find((s) => s.kind === 'udp68') ?? p.sockets[0];
    if (!roles.has(p.pid) && socket) roles.set(p.pid, `DHCP client: ${socket.kind === 'udp68' ? 'holds UDP port 68' : 'holds a packet socket'} (fd ${socket.fd})`);
    if (!roles.has(p.pid) && p.groups.includes('rng')) roles.set(p.pid, 'named like the RNG service');
    if (!roles.has(p.pid) && p.groups.includes('dhcp')) roles.set(p.pid, 'DHCP client');
  }

  const observed: Observed[] = [];
  const vanished: ScannedProcess[] = [];
  for (const [pid, role] of roles) {
    const p = scan.processes.get(pid)!;
    const place = containment(p, init);
    if (place.kind === 'vanished') vanished.push(p);
    else observed.push({ process: p, role, isolated: place.kind === 'contained', why: place.why });
  }

  const dhcpSeen = observed.some((o) => o.process.groups.includes('dhcp') || o.process.sockets.length > 0);
  const rngSeen = observed.some((o) => o.role.startsWith('holds') || o.role.startsWith('feeds') || o.process.groups.includes('rng'));
  const notes: string[] = [];
  if (!rngSeen) notes.push(`RNG service not observed (nothing holds ${[...settings.sources, ...settings.feeds].join(' or ')} open to read or feed it, no ${settings.processNames.join('/')} runs)`);
  if (!dhcpSeen) notes.push(`DHCP client not observed (no process holds UDP port 68 or a packet socket, no ${settings.clientNames.join('/')} runs: a one-shot client that exited leaves nothing to judge)`);
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
    feeds: feedsSetting,
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
  let settled = false;
  // Only "nothing observed" is retried (services may still be starting), and only until every
  // declared service has started; a service outside a container does not move into one later.
  return settle(
    context,
    async () => {
      const { output } = await context.system.run(script);
      const verdict = judgeIsolation(output, settings);
      observed = verdict.observed;
      settled = allDeclaredStarted(output);
      return verdict.passed ? pass(verdict.message, output) : fail(verdict.message, output);
    },
    2000,
    () => observed === 0 && !settled,
  );
}
