// Decide how to reach the guest's system (PID 1's namespaces) from the console shell: LinuxKit's
// getty runs in a container, so when the shell's namespaces differ from PID 1's, checks run through
// nsenter. (Messages say "the host" for PID 1's namespaces, as users of LinuxKit do; in the code,
// "host" is only the machine running QEMU.)
//
// Two ways the system can be out of reach, reported in `unreachable`:
// - The shell's /proc belongs to a PID namespace of its own: its PID 1 is then the container's
//   init, not the host's, and nsenter -t 1 would only enter the container again. The kernel
//   shows this plainly: kernel threads live in the initial PID namespace only, so PID 2 there is
//   kthreadd with parent 0; in a child PID namespace PID 2 is some container process or absent.
//   (Comparing /proc/1/ns/pid with the shell's own cannot tell: inside the container they match.)
// - The shell's namespaces differ from PID 1's and there is no nsenter, or nsenter cannot enter
//   them (not root, no CAP_SYS_ADMIN, seccomp): tried once, and the mount namespace it lands in
//   must be PID 1's.
import type { ViaWrapper } from '../console/framing.ts';
import { first, parseKeyValues } from '../console/guest-output.ts';

export interface SystemContext {
  /** Command prefix that runs a program in PID 1's namespaces ('' when the shell already is there). */
  readonly via: string;
  /** One line for the report. */
  readonly description: string;
  /** Why checks cannot see the host from this shell; every case that needs the host is then an error. */
  readonly unreachable?: string;
  /** The console shell unpacked a gzipped base64 sample exactly: long scripts may be typed gzipped. */
  readonly gzip: boolean;
}

/** gzip("kittest") in base64, made by Node's zlib: what the guest must unpack to this word for gzip to be used. */
const gzipSample = 'H4sIAAAAAAAAA8vOLClJLS4BAOx+T84HAAAA';

/** Script printed by the console shell itself (not via nsenter). */
export const systemContextScript = `echo "self_mnt=$(readlink /proc/self/ns/mnt)"
echo "init_mnt=$(readlink /proc/1/ns/mnt)"
echo "self_pid=$(readlink /proc/self/ns/pid)"
echo "init_pid=$(readlink /proc/1/ns/pid)"
echo "self_net=$(readlink /proc/self/ns/net)"
echo "init_net=$(readlink /proc/1/ns/net)"
command -v nsenter >/dev/null 2>&1 && echo nsenter=yes
echo "uid=$(id -u 2>/dev/null)"
c=; read -r c 2>/dev/null < /proc/1/comm; echo "init_comm=$c"
n=; q=; while read -r k v; do case "$k" in Name:) n=$v;; PPid:) q=$v;; esac; done 2>/dev/null < /proc/2/status; echo "pid2=$n $q"
if command -v nsenter >/dev/null 2>&1 && [ "$(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid) $(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/mnt) $(readlink /proc/1/ns/pid) $(readlink /proc/1/ns/net)" ]; then
  echo "entered_mnt=$(nsenter -t 1 -m -n -p -- readlink /proc/self/ns/mnt 2>&1 | head -n 1)"
fi
if [ "$(printf %s '${gzipSample}' | base64 -d 2>/dev/null | gzip -dc 2>/dev/null)" = kittest ]; then echo gzip=yes; fi`;

const nsenterVia = 'nsenter -t 1 -m -n -p --';

/** The wrapper that sends a script the context's way in (`via` before the inner `sh -c`); none when the console shell is already on the host. */
export function viaWrapper(via: string): ViaWrapper | undefined {
  return via ? (inner) => `${via} ${inner}` : undefined;
}

/** Pure decision from the output of systemContextScript. */
export function decideSystemContext(output: string): SystemContext {
  const kv = parseKeyValues(output);
  const way = decideWayIn(kv);
  const gzip = first(kv, 'gzip') === 'yes';
  if (way.unreachable || !gzip) return { ...way, gzip };
  return { ...way, description: `${way.description}; long scripts are typed gzipped`, gzip };
}

function decideWayIn(kv: ReturnType<typeof parseKeyValues>): Omit<SystemContext, 'gzip'> {
  const initComm = (first(kv, 'init_comm') ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 32);
  const pid2 = first(kv, 'pid2');
  // Older recordings have no pid2 line: then this test is skipped.
  if (pid2 !== undefined && !/^kthreadd 0$/.test(pid2.trim())) {
    const reason = `the console shell runs in a PID namespace of its own: its /proc shows no kernel threads, so PID 1 there ("${initComm || '?'}") is its container's init, not the host's, and the host's namespaces cannot be entered from it`;
    return { via: '', description: reason, unreachable: reason };
  }
  const differs = (['mnt', 'pid', 'net'] as const).filter((ns) => first(kv, `self_${ns}`) !== first(kv, `init_${ns}`));
  if (differs.length === 0) return { via: '', description: "console shell runs in PID 1's namespaces" };
  if (first(kv, 'nsenter') !== 'yes') {
    const reason = `the console shell is in its own ${differs.join('/')} namespace and has no nsenter, so the host cannot be reached`;
    return { via: '', description: reason, unreachable: reason };
  }
  const entered = first(kv, 'entered_mnt');
  const initMnt = first(kv, 'init_mnt');
  if (entered !== undefined && (!initMnt || entered.trim() !== initMnt)) {
    const uid = first(kv, 'uid');
    const reason = `the console shell is in its own ${differs.join('/')} namespace and nsenter -t 1 cannot enter PID 1's (${entered.trim().slice(0, 200) || 'no output'}${uid && uid !== '0' ? `; uid ${uid}` : ''})`;
    return { via: '', description: reason, unreachable: reason };
  }
  return {
    via: nsenterVia,
    description: `console shell is in its own ${differs.join('/')} namespace (a getty container): checks run in PID 1's through nsenter`,
  };
}
