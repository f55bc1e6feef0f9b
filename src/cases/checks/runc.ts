// runc: run a throwaway container from a bundle written in a tmpfs, expecting exit 0 and a nonce.
import { defineCheck, fail, pass } from '../check.ts';
import { first, parseKeyValues, timeoutHelper } from '../../console/guest-output.ts';

/** The guest script; the container prints "$0-$1" so the expected text never appears in what was typed. */
function runcScript(left: string, right: string): string {
  const config = (mounts: string) =>
    `{"ociVersion":"1.0.2","process":{"terminal":false,"user":{"uid":0,"gid":0},"args":["/bin/sh","-c","echo $0-$1","${left}","${right}"],"env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"cwd":"/","noNewPrivileges":true},"root":{"path":"rootfs","readonly":true},"hostname":"kittest","mounts":[{"destination":"/proc","type":"proc","source":"proc"},{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","mode=755","size=1m"]}${mounts}],"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}]}}`;
  const [head, tail] = config('@MOUNTS@').split('@MOUNTS@');
  return `${timeoutHelper}
command -v runc >/dev/null 2>&1 || { echo runc=missing; exit 0; }
echo "runc_version=$(runc --version 2>&1 </dev/null | head -n 1)"
b=; for base in /run /tmp /var/run /dev/shm; do b=$(mktemp -d "$base/kt-runc.XXXXXX" 2>/dev/null) && break; done
[ -n "$b" ] || { echo bundle=nowhere-writable; exit 0; }
mkdir -p "$b/rootfs"; m=
for d in bin sbin lib lib64 lib32 usr; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$b/rootfs/$d"
  elif [ -d "/$d" ]; then m="$m,{\\"destination\\":\\"/$d\\",\\"type\\":\\"bind\\",\\"source\\":\\"/$d\\",\\"options\\":[\\"rbind\\",\\"ro\\"]}"; fi
done
printf '%s' '${head}' > "$b/config.json"; printf '%s' "$m" >> "$b/config.json"; printf '%s' '${tail}' >> "$b/config.json"
o=$(t 60 runc --root "$b/state" run --bundle "$b" "kt-${left}" </dev/null 2>&1); echo "rc=$?"
printf '%s\\n' "$o" | sed 's/^/out: /'
# runc run removes the container when its process exits; delete only what it left (one Go start less).
[ -e "$b/state/kt-${left}" ] && runc --root "$b/state" delete -f "kt-${left}" >/dev/null 2>&1 </dev/null; rm -rf "$b"`;
}

/** Pure judgement of the runc script's output. */
export function judgeRunc(output: string, expected: string): { passed: boolean; message: string } {
  const kv = parseKeyValues(output);
  if (first(kv, 'runc') === 'missing') return { passed: false, message: 'runc is not installed on the host' };
  if (first(kv, 'bundle')) return { passed: false, message: 'no writable tmpfs (/run, /tmp, /var/run, /dev/shm) to hold a bundle' };
  const lines = output.split('\n').filter((l) => l.startsWith('out: ')).map((l) => l.slice(5));
  const rc = first(kv, 'rc');
  if (rc !== '0') {
    const why = lines.find((l) => l.trim()) ?? 'no output';
    return { passed: false, message: `runc run exited with status ${rc ?? 'unknown'}: ${why.slice(0, 300)}` };
  }
  if (!lines.some((l) => l.trim() === expected)) {
    return { passed: false, message: `the container exited 0 but did not print the nonce ${expected}` };
  }
  return { passed: true, message: `runc ${first(kv, 'runc_version')?.replace(/^runc version /, '') ?? ''} ran a container that printed the nonce and exited 0`.replace('  ', ' ') };
}

export const runcCheck = defineCheck<Record<string, never>>({
  name: 'runc',
  summary: 'runc runs an OCI container in its own namespaces that prints a nonce and exits 0',
  settings: {},
  check: async (context) => {
    const left = context.nonce();
    const right = context.nonce();
    const { output } = await context.system.run(runcScript(left, right), { timeoutMs: context.timeoutMs });
    const verdict = judgeRunc(output, `${left}-${right}`);
    return verdict.passed ? pass(verdict.message, output) : fail(verdict.message, output);
  },
});
