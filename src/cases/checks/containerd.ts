// containerd: a containerd process, its socket, and `ctr version` showing a server version.
import { type Check, fail, pass, settle } from '../check.ts';
import { first, parseKeyValues, timeoutHelper } from '../guest-output.ts';

const script = `${timeoutHelper}
for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = containerd ] && echo "pid=\${p#/proc/}"; done
[ -S /run/containerd/containerd.sock ] && echo socket=/run/containerd/containerd.sock
if command -v ctr >/dev/null 2>&1; then
  v=$(t 20 ctr version 2>&1 </dev/null); echo "ctr_rc=$?"; printf '%s\\n' "$v" | sed 's/^/version: /'
  for n in $(t 10 ctr namespaces ls -q 2>/dev/null </dev/null); do echo "ns=$n"; t 10 ctr -n "$n" tasks ls 2>&1 </dev/null | sed "s/^/tasks[$n]: /"; done
else echo ctr=missing; fi`;

/** Server version from `ctr version` output, if the daemon answered. */
export function serverVersion(output: string): string | undefined {
  const lines = output.split('\n').filter((l) => l.startsWith('version: ')).map((l) => l.slice(9));
  const server = lines.findIndex((l) => /^Server:\s*$/.test(l.trim()));
  if (server < 0) return undefined;
  for (const line of lines.slice(server + 1)) {
    const m = /^\s*Version:\s*(\S+)/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

export const containerdCheck: Check = (context) =>
  settle(context, async () => {
    const { output } = await context.host.run(script);
    const kv = parseKeyValues(output);
    const pids = kv.get('pid') ?? [];
    if (first(kv, 'ctr') === 'missing') return fail('ctr is not installed on the host, cannot ask containerd', output);
    const version = serverVersion(output);
    if (pids.length === 0) return fail('no containerd process is running', output);
    if (!version) {
      const why = output.split('\n').find((l) => /version: .*(error|failed|refused|no such)/i.test(l));
      return fail(`containerd (pid ${pids.join(', ')}) does not answer: ${why?.slice(9).trim() ?? 'ctr version shows no server version'}`, output);
    }
    const namespaces = kv.get('ns') ?? [];
    return pass(`containerd ${version} answers (pid ${pids.join(', ')}; namespaces: ${namespaces.join(', ') || 'none'})`, output);
  });
