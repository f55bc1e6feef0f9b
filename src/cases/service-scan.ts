// Which processes are a system's services, from what the kernel says rather than from names alone:
// the processes that hold an RNG source open (matched by the device number of the open file, so a
// script named rngd or a regular file called /dev/hwrng does not count), the processes with given
// names (context for messages), and, for isolation, their namespaces and cgroups.
// Guest output is untrusted: every line is parsed strictly, and the guest script never prints a
// file name that could hold a newline (it could otherwise forge a line).
import { parseKeyValues } from '../console/guest-output.ts';
import { shellQuote } from '../util/shell-quote.ts';

/** Device numbers (hex major:minor, as `stat -c %t:%T` prints them) of well-known RNG sources. */
const knownSourceDevices: Readonly<Record<string, string>> = { '/dev/hwrng': 'a:b7', '/dev/random': '1:8' };

const defaultSources: readonly string[] = ['/dev/hwrng'];

/** The `sources` setting, shared by the rng and services-isolated checks. */
export const sourcesSetting = {
  type: 'array',
  items: { type: 'string', pattern: '^/' },
  minItems: 1,
  default: defaultSources,
  description:
    "Paths of the RNG source a service must hold open; an open file counts when its char device number matches the source's (10:183 for /dev/hwrng), by path only when the guest has no stat -c.",
} as const;

/** The `feeds` setting: the kernel's pool, which an RNG service may feed with RNDADDENTROPY instead of reading a hardware source. */
export const feedsSetting = {
  type: 'array',
  items: { type: 'string', pattern: '^/' },
  default: ['/dev/random'],
  description:
    "Paths of the kernel's entropy pool; a process holding one open (by char device number: 1:8 for /dev/random) with CAP_SYS_ADMIN effective, which the RNDADDENTROPY ioctl needs, feeds the kernel (LinuxKit's rngd, haveged, jitterentropy-rngd).",
} as const;

interface ScanOptions {
  /** Paths of the RNG source (char devices); any process with one of them open is an RNG service. */
  readonly sources: readonly string[];
  /** Process names (comm, 15 characters at most) by group, e.g. { rng: ['rngd'], dhcp: ['udhcpc'] }. */
  readonly groups: Readonly<Record<string, readonly string[]>>;
  /** Groups whose named processes get every open fd listed (to say what a look-alike holds). */
  readonly listFdsOf?: readonly string[];
  /** Print namespaces and cgroups of every shown process and of PID 1. */
  readonly isolation?: boolean;
  /** Show every process holding a DHCP client's socket: UDP bound to port 68, or a packet socket. */
  readonly dhcpSockets?: boolean;
}

const safeName = (name: string): string => name.slice(0, 15).replace(/[^A-Za-z0-9._:+@-]/g, '');

/**
 * Shell snippet (POSIX sh, busybox) printing:
 *   source=PATH RDEV        the source's device number on the host ('-' when stat cannot tell)
 *   named=PID GROUP         a process whose comm is one of the group's names
 *   proc=PID START COMM     every shown process: start time (clock ticks after boot) and comm
 *   cap=PID HEX             its effective capabilities (CapEff in /proc/PID/status)
 *   fd=PID FD RDEV PATH     an open fd of a shown process (RDEV '-' when stat -L -c is missing)
 *   sock=PID FD KIND INODE  with dhcpSockets: a socket a DHCP client holds, KIND udp68 (bound to
 *                           UDP port 68 in PID 1's network namespace) or packet (AF_PACKET)
 *   ns=PID mnt:[N] pid:[N] uts:[N] ipc:[N]   and   cgroup=PID LINE   (with isolation)
 *   fdmode=stat|readlink
 * Forks stay few: comm, stat and cgroup are read with the `read` builtin, and one `stat -L` call
 * gives the device number and inode of every open fd of every process. A socket is matched by its
 * inode against the kernel's socket tables, then confirmed by its fd's `socket:[INODE]` link.
 */
export function serviceScanScript(options: ScanOptions): string {
  const want = [...new Set(options.sources.map((s) => knownSourceDevices[s]).filter((d): d is string => d !== undefined))];
  const listed = new Set(options.listFdsOf ?? []);
  const groupTests = Object.entries(options.groups).map(([group, names]) => {
    const list = names.map(safeName).filter(Boolean).join(' ');
    const g = group.replace(/[^a-z0-9_-]/gi, '');
    const mark = listed.has(group) ? '; fdnamed="$fdnamed$q "' : '';
    return `  case " ${list} " in *" $c "*) echo "named=$q ${g}"; show "$q"${mark};; esac`;
  });
  const nsLine = options.isolation
    ? `  echo "ns=$1 $(readlink /proc/$1/ns/mnt 2>/dev/null) $(readlink /proc/$1/ns/pid 2>/dev/null) $(readlink /proc/$1/ns/uts 2>/dev/null) $(readlink /proc/$1/ns/ipc 2>/dev/null)"
  while read -r _l; do echo "cgroup=$1 $_l"; done 2>/dev/null < "/proc/$1/cgroup"`
    : '';
  const sourcePattern = options.sources.map(shellQuote).join('|') || "''";
  // udp/udp6 field 2 is local_address (hex port 0044 is 68), field 10 the inode; packet field 9.
  const socketTables = options.dhcpSockets
    ? `for f in /proc/1/net/udp /proc/1/net/udp6; do
  while read -r _a _l _b _c _d _e _f _g _h _i _r; do case "$_l$_i" in *:0044[1-9]*) udp68="$udp68$_i ";; esac; done 2>/dev/null < "$f"
done
while read -r _a _b _c _d _e _f _g _h _i _r; do case "$_i" in ''|0|*[!0-9]*) ;; *) packet="$packet$_i ";; esac; done 2>/dev/null < /proc/1/net/packet`
    : ':';
  return `nl='
'
seen=' '; fdnamed=' '; want=' ${want.join(' ')} '; udp68=' '; packet=' '
${socketTables}
sock() {
  k=; case "$udp68" in *" $3 "*) k=udp68;; esac; case "$packet" in *" $3 "*) k=packet;; esac
  [ -n "$k" ] && [ "$(readlink "/proc/$1/fd/$2" 2>/dev/null)" = "socket:[$3]" ] && { show "$1"; echo "sock=$1 $2 $k $3"; }
}
show() {
  case "$seen" in *" $1 "*) return 0;; esac
  seen="$seen$1 "
  _s=; _c=
  read -r _s 2>/dev/null < "/proc/$1/stat" || return 0
  read -r _c 2>/dev/null < "/proc/$1/comm"
  _s=\${_s##*) }
  set -- "$1" $_s
  echo "proc=$1 \${21} $_c"
  while read -r _k _v; do case "$_k" in CapEff:) echo "cap=$1 $_v"; break;; esac; done 2>/dev/null < "/proc/$1/status"
${nsLine}
}
for s in ${options.sources.map(shellQuote).join(' ')}; do
  d=$(stat -L -c %t:%T "$s" 2>/dev/null); echo "source=$s \${d:--}"
  case "$d" in ''|0:0|*' '*) ;; *) want="$want$d ";; esac
done
${options.isolation ? 'show 1' : ':'}
for p in /proc/[0-9]*; do
  q=\${p#/proc/}; c=
  read -r c 2>/dev/null < "$p/comm" || continue
  case "$c" in ''|*' '*) continue;; esac
${groupTests.join('\n')}
done
if stat -L -c %t:%T /proc/self/fd/0 >/dev/null 2>&1; then
  echo fdmode=stat
  stat -L -c '%n %t:%T %i' /proc/[0-9]*/fd/* 2>/dev/null | while read -r n d i; do
    q=\${n#/proc/}; q=\${q%%/*}
    case "$udp68$packet" in *" $i "*) sock "$q" "\${n##*/}" "$i";; esac
    case "$want" in *" $d "*) ;; *) case "$fdnamed" in *" $q "*) ;; *) continue;; esac;; esac
    l=$(readlink "$n" 2>/dev/null); case "$l" in *"$nl"*) l='?';; esac
    show "$q"; echo "fd=$q \${n##*/} $d $l"
  done
else
  echo fdmode=readlink
  for n in /proc/[0-9]*/fd/*; do
    q=\${n#/proc/}; q=\${q%%/*}
    l=$(readlink "$n" 2>/dev/null) || continue
    case "$l" in *"$nl"*) l='?';; esac
    case "$l" in socket:\\[*\\]) i=\${l#socket:?}; i=\${i%?}; case "$udp68$packet" in *" $i "*) sock "$q" "\${n##*/}" "$i";; esac;; esac
    case "$l" in ${sourcePattern}) ;; *) case "$fdnamed" in *" $q "*) ;; *) continue;; esac;; esac
    show "$q"; echo "fd=$q \${n##*/} - $l"
  done
fi`;
}

export interface OpenFd {
  readonly fd: number;
  /** Hex major:minor of the open file, undefined when the guest could not stat it. */
  readonly rdev?: string;
  readonly path: string;
}

interface DhcpSocket {
  readonly fd: number;
  readonly kind: 'udp68' | 'packet';
}

export interface ScannedProcess {
  readonly pid: number;
  /** Start time in clock ticks after boot: with the pid, it tells one process from a restarted one. */
  readonly start?: number;
  readonly comm: string;
  /** Effective capabilities (CapEff), when the guest printed them. */
  readonly capEff?: bigint;
  readonly groups: string[];
  readonly fds: OpenFd[];
  /** Sockets a DHCP client holds (with dhcpSockets): UDP bound to port 68, or AF_PACKET. */
  readonly sockets: DhcpSocket[];
  /** Namespace ids by type, e.g. { mnt: 'mnt:[4026531841]' }. */
  readonly ns: Record<string, string>;
  /** Raw lines of /proc/PID/cgroup. */
  readonly cgroup: string[];
}

export interface Scan {
  readonly processes: Map<number, ScannedProcess>;
  /** Each source path and its device number on the host (undefined when unknown). */
  readonly sources: { path: string; rdev?: string }[];
  readonly fdMode?: 'stat' | 'readlink';
}

const RDEV = /^[0-9a-f]{1,8}:[0-9a-f]{1,8}$/;
const NSID = /^(mnt|pid|uts|ipc|net|cgroup|user|time):\[\d+\]$/;

/** Parse the output of serviceScanScript; lines that do not have the expected shape are dropped. */
export function parseScan(output: string): Scan {
  const kv = parseKeyValues(output);
  const processes = new Map<number, ScannedProcess>();
  const get = (pid: number): ScannedProcess => {
    let p = processes.get(pid);
    if (!p) {
      p = { pid, comm: '', groups: [], fds: [], sockets: [], ns: {}, cgroup: [] };
      processes.set(pid, p);
    }
    return p;
  };
  for (const v of kv.get('proc') ?? []) {
    const m = /^(\d{1,9}) (\d{0,20}) ?(.*)$/.exec(v);
    if (!m) continue;
    const pid = Number(m[1]);
    const known = processes.get(pid);
    if (known && known.start !== undefined) continue;
    processes.set(pid, { ...(known ?? { pid, groups: [], fds: [], sockets: [], ns: {}, cgroup: [] }), pid, comm: clean(m[3] ?? ''), ...(m[2] ? { start: Number(m[2]) } : {}) });
  }
  for (const v of kv.get('cap') ?? []) {
    const m = /^(\d{1,9}) ([0-9a-f]{1,16})$/.exec(v);
    if (!m) continue;
    const p = get(Number(m[1]));
    if (p.capEff === undefined) processes.set(p.pid, { ...p, capEff: BigInt(`0x${m[2]}`) });
  }
  for (const v of kv.get('named') ?? []) {
    const m = /^(\d{1,9}) ([A-Za-z0-9_-]+)$/.exec(v);
    if (!m) continue;
    const p = get(Number(m[1]));
    if (!p.groups.includes(m[2]!)) p.groups.push(m[2]!);
  }
  for (const v of kv.get('fd') ?? []) {
    const m = /^(\d{1,9}) (\d{1,9}) (\S+) ?(.*)$/.exec(v);
    if (!m) continue;
    const rdev = m[3] === '-' ? undefined : m[3]!;
    if (rdev !== undefined && !RDEV.test(rdev)) continue;
    const p = get(Number(m[1]));
    const fd = Number(m[2]);
    if (p.fds.some((f) => f.fd === fd)) continue;
    p.fds.push({ fd, ...(rdev ? { rdev } : {}), path: clean(m[4] ?? '') });
  }
  for (const v of kv.get('sock') ?? []) {
    const m = /^(\d{1,9}) (\d{1,9}) (udp68|packet) \d{1,20}$/.exec(v);
    if (!m) continue;
    const p = get(Number(m[1]));
    const fd = Number(m[2]);
    if (!p.sockets.some((s) => s.fd === fd)) p.sockets.push({ fd, kind: m[3] as DhcpSocket['kind'] });
  }
  for (const v of kv.get('ns') ?? []) {
    const [pid, ...ids] = v.split(' ');
    if (!/^\d{1,9}$/.test(pid ?? '')) continue;
    const p = get(Number(pid));
    for (const id of ids) if (NSID.test(id)) p.ns[id.slice(0, id.indexOf(':'))] = id;
  }
  for (const v of kv.get('cgroup') ?? []) {
    const m = /^(\d{1,9}) (.*)$/.exec(v);
    if (m) get(Number(m[1])).cgroup.push(m[2]!);
  }
  for (const p of processes.values()) p.fds.sort((a, b) => a.fd - b.fd);
  const sources: { path: string; rdev?: string }[] = [];
  for (const v of kv.get('source') ?? []) {
    const cut = v.lastIndexOf(' ');
    if (cut <= 0) continue;
    const rdev = v.slice(cut + 1);
    sources.push({ path: v.slice(0, cut), ...(RDEV.test(rdev) && rdev !== '0:0' ? { rdev } : {}) });
  }
  const mode = kv.get('fdmode')?.[0];
  return { processes, sources, ...(mode === 'stat' || mode === 'readlink' ? { fdMode: mode } : {}) };
}

/** Printable text only (guest text ends up in terminals and reports). */
function clean(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

/** Device numbers that count as the RNG source: the well-known ones and what the host's paths stat to. */
export function sourceDevices(scan: Scan, sources: readonly string[]): Set<string> {
  const devices = new Set<string>();
  for (const s of sources) {
    const known = knownSourceDevices[s];
    if (known) devices.add(known);
  }
  for (const s of scan.sources) if (s.rdev && sources.includes(s.path)) devices.add(s.rdev);
  devices.delete('0:0');
  return devices;
}

/** The fd by which `process` holds the RNG source open: by device number, or by path when the guest could not stat. */
export function sourceFd(process: ScannedProcess, devices: ReadonlySet<string>, sources: readonly string[]): OpenFd | undefined {
  return process.fds.find((f) => (f.rdev !== undefined ? devices.has(f.rdev) : sources.includes(f.path)));
}

/** "10:183" from "a:b7". */
export function decimalDevice(rdev: string): string {
  const [major = '', minor = ''] = rdev.split(':');
  return `${Number.parseInt(major, 16)}:${Number.parseInt(minor, 16)}`;
}

/** "rngd (pid 312)" */
export const label = (p: { comm: string; pid: number }): string => `${p.comm || '?'} (pid ${p.pid})`;

/** Centiseconds from a /proc/uptime reading ("123.45"), undefined when it is not one. */
export function uptimeCs(text: string | undefined): number | undefined {
  const m = /^(\d{1,9})\.(\d\d)$/.exec(text?.trim() ?? '');
  return m ? Number(m[1]) * 100 + Number(m[2]) : undefined;
}

/** How long a process started `startTicks` after boot had lived at uptime `atCs`, in centiseconds (USER_HZ is 100 on Linux). */
export function ageCs(startTicks: number | undefined, atCs: number | undefined): number | undefined {
  return startTicks === undefined || atCs === undefined ? undefined : atCs - startTicks;
}

/** Where containerd's runc v2 shims keep each task's state: NAMESPACE/ID/init.pid. */
const taskStateDir = '/run/containerd/io.containerd.runtime.v2.task';

/**
 * Shell snippet printing containerd's tasks as the runtime's state directory records them, and
 * whether the kernel still runs each one's init process:
 *   task_uptime=SECONDS            the guest's uptime when the scan began
 *   task=NAMESPACE ID PID STATE START   STATE is /proc/PID/stat's state letter, `gone` when no such
 *                                  process; START its start time in clock ticks after boot
 *   tasklog=ID LINE                the last line of /var/log/ID.log and /var/log/ID.out.log (LinuxKit's
 *                                  service logs; kittest's images write there too), for ids in `logsOf`
 *   svcns=ID pid:[N] net:[N] ipc:[N] uts:[N] mnt:[N]   svccap=ID HEX   svcroot=ID OPTIONS
 *                                  with `inspect`, for each live task in that containerd namespace: its
 *                                  init process's namespaces, CapEff and root mount options
 * No containerd client is started (a Go program start costs seconds under emulation).
 */
export function taskScanScript(logsOf: readonly string[], inspect?: string): string {
  // '*': the logs of every task.
  const list = logsOf.includes('*') ? '*' : logsOf.map(safeName).filter(Boolean).join(' ');
  const pattern = list === '*' ? '*' : `*" $id "*`;
  const ns = inspect?.replace(/[^A-Za-z0-9._-]/g, '');
  // What services-declared compares with each declaration: namespaces, CapEff and the root's mount options.
  const inspection = ns
    ? `
  if [ "$ns" = ${ns} ] && [ "$st" != gone ]; then
    echo "svcns=$id $(readlink /proc/$tp/ns/pid) $(readlink /proc/$tp/ns/net) $(readlink /proc/$tp/ns/ipc) $(readlink /proc/$tp/ns/uts) $(readlink /proc/$tp/ns/mnt)"
    while read -r _k _v; do case "$_k" in CapEff:) echo "svccap=$id $_v"; break;; esac; done 2>/dev/null < "/proc/$tp/status"
    o=; while read -r _a _b _c _d _m _o _r; do [ "$_m" = / ] && o=$_o; done 2>/dev/null < "/proc/$tp/mountinfo"
    echo "svcroot=$id $o"
  fi`
    : '';
  return `read -r kt_tu _ < /proc/uptime; echo "task_uptime=$kt_tu"
for f in ${taskStateDir}/*/*/init.pid; do
  [ -f "$f" ] || continue
  d=\${f%/init.pid}; id=\${d##*/}; ns=\${d%/*}; ns=\${ns##*/}
  case "$id$ns" in *[!A-Za-z0-9._-]*) continue;; esac
  tp=; read -r tp 2>/dev/null < "$f"
  case "$tp" in ''|*[!0-9]*) tp=-;; esac
  st=gone; s=; ts=; [ "$tp" != - ] && read -r s 2>/dev/null < "/proc/$tp/stat" && { s=\${s##*) }; st=\${s%% *}; set -- $s; ts=\${20}; }
  echo "task=$ns $id $tp $st $ts"${inspection}
  case " ${list} " in ${pattern})
    for l in "/var/log/$id.log" "/var/log/$id.out.log"; do
      [ -s "$l" ] && echo "tasklog=$id $(tail -n 1 "$l" 2>/dev/null | tr -cd '\\40-\\176' | cut -c1-300)"
    done;;
  esac
done`;
}

export interface RuntimeTask {
  readonly namespace: string;
  readonly id: string;
  readonly pid?: number;
  /** The init process's state letter (R, S, D, Z, ...), or `gone`. */
  readonly state: string;
  /** How long its init process had run when the scan began, in centiseconds (USER_HZ is 100), where the kernel told. */
  readonly ageCs?: number;
  /** Last log lines (stderr's, then stdout's), where the guest keeps them. */
  readonly logs: string[];
}

/** A task's init process is still running (not gone, not a zombie). */
export const taskRunning = (task: RuntimeTask): boolean => task.state !== 'gone' && task.state !== 'Z' && task.state !== 'X';

/** Parse the output of taskScanScript. */
export function parseTasks(output: string): RuntimeTask[] {
  const kv = parseKeyValues(output);
  const tasks: RuntimeTask[] = [];
  const scannedAt = uptimeCs(kv.get('task_uptime')?.[0]);
  for (const v of kv.get('task') ?? []) {
    const m = /^([A-Za-z0-9._-]{1,100}) ([A-Za-z0-9._-]{1,100}) (\d{1,9}|-) ([A-Za-z]|gone) ?(\d{1,12})?$/.exec(v);
    if (!m) continue;
    if (tasks.some((t) => t.namespace === m[1] && t.id === m[2])) continue;
    const age = ageCs(m[5] === undefined ? undefined : Number(m[5]), scannedAt);
    tasks.push({ namespace: m[1]!, id: m[2]!, ...(m[3] === '-' ? {} : { pid: Number(m[3]) }), state: m[4]!, ...(age !== undefined ? { ageCs: age } : {}), logs: [] });
  }
  for (const v of kv.get('tasklog') ?? []) {
    const m = /^([A-Za-z0-9._-]{1,100}) (.*)$/.exec(v);
    if (!m || !m[2]!.trim()) continue;
    for (const t of tasks) if (t.id === m[1] && t.logs.length < 2) t.logs.push(clean(m[2]!));
  }
  return tasks;
}

/** "STOPPED" or "RUNNING", as containerd would say it. */
export const taskStatus = (task: RuntimeTask): string => (taskRunning(task) ? 'RUNNING' : 'STOPPED');

/**
 * Shell snippet printing every declaration the image has the way `linuxkit build` writes them:
 *   decl=KIND NAME        KIND services (/containers/services/NAME/config.json) or onboot
 *                         (/containers/onboot/NNN-NAME/config.json)
 * and with `specs`, for services-declared, each config.json's lines and what each onboot container left:
 *   jsonl=KIND NAME LINE   onbootlog=NNN-NAME PATH   onbootrunc=NNN-NAME
 * With taskScanScript's output it tells when every declared service has been started (allDeclaredStarted).
 */
export function declarationsScript(options: { specs?: boolean } = {}): string {
  const specs = options.specs
    ? `
  head -c 131072 "$f" | sed "s/^/jsonl=$k $n /"; echo
  if [ "$k" = onboot ]; then
    for l in "/var/log/onboot.$n.log" "/var/log/onboot.\${n#*-}.log" "/var/log/onboot/onboot.$n.log" "/run/log/onboot/onboot.$n.log"; do [ -e "$l" ] && echo "onbootlog=$n $l"; done
    [ -d "/run/runc/$n" ] || [ -d "/run/runc/\${n#*-}" ] && echo "onbootrunc=$n"
  fi`
    : '';
  return `for f in /containers/services/*/config.json /containers/onboot/*/config.json; do
  [ -f "$f" ] || continue
  d=\${f%/config.json}; n=\${d##*/}; k=\${d%/*}; k=\${k##*/}
  case "$n" in *[!A-Za-z0-9._-]*) continue;; esac
  echo "decl=$k $n"${specs}
done`;
}

/** The names of the services the image declares, from declarationsScript's output. */
function declaredServiceNames(output: string): string[] {
  return (parseKeyValues(output).get('decl') ?? []).flatMap((v) => {
    const m = /^services ([A-Za-z0-9._-]{1,100})$/.exec(v);
    return m ? [m[1]!] : [];
  });
}

/** How long a started service is given to open what it will hold (its device, its sockets) before waiting for it ends. */
export const settledAfterCs = 300;

/**
 * The one settle policy of the cases that wait for services: on an image that declares its services,
 * waiting ends once every declared service has a task that has exited or has run for settledAfterCs,
 * since nothing else is coming. False where the image declares none (those cases keep their settle window).
 */
export function allDeclaredStarted(output: string): boolean {
  const declared = declaredServiceNames(output);
  if (declared.length === 0) return false;
  const tasks = parseTasks(output);
  return declared.every((name) => tasks.some((t) => t.id === name && (!taskRunning(t) || (t.ageCs ?? 0) >= settledAfterCs)));
}
