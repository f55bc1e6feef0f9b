// containerd: the daemon answers on its socket. The verdict comes from `ctr version` showing a
// Server section (the client alone prints only its own version); a process named containerd that
// does not answer fails, and the process name is context only. With `namespace` set, that
// namespace must also exist and have running tasks. Each ctr start takes seconds under
// emulation: one start without `namespace`, two with it (three when its tasks are missing, to
// tell a missing namespace from an empty one). Tasks of other namespaces are read from the
// runtime's state directory instead of asking ctr. Without a socket ctr is not started at all:
// its dialer retries a missing socket for its whole 10 s connect timeout, which made every
// settle poll of an image without containerd cost 10 s more than the window allowed for.
import { defineCheck, fail, pass, settle } from '../check.ts';
import { first, parseKeyValues, prefixed, timeoutHelper } from '../../console/guest-output.ts';
import { shellQuote } from '../../util/shell-quote.ts';

interface ContainerdSettings {
  /** containerd's gRPC socket. */
  readonly socket: string;
  /** Namespace that must exist and have running tasks (optional). */
  readonly namespace?: string;
}

const defaultSocket = '/run/containerd/containerd.sock';

export function containerdScript(settings: ContainerdSettings): string {
  const ns = settings.namespace === undefined ? '' : shellQuote(settings.namespace);
  const state = `${settings.socket.replace(/\/[^/]*$/, '') || '/run/containerd'}/io.containerd.runtime.v2.task`;
  return `${timeoutHelper}
export CONTAINERD_ADDRESS=${shellQuote(settings.socket)}
for p in /proc/[0-9]*; do c=; read -r c 2>/dev/null < "$p/comm" && [ "$c" = containerd ] && echo "pid=\${p#/proc/}"; done
if [ -S "$CONTAINERD_ADDRESS" ]; then echo socket=socket; elif [ -e "$CONTAINERD_ADDRESS" ]; then echo socket=not-a-socket; else echo socket=missing; fi
for d in ${shellQuote(state)}/*/*; do [ -d "$d" ] && echo "task_dir=\${d#${shellQuote(state)}/}"; done
if ! command -v ctr >/dev/null 2>&1; then echo ctr=missing
elif [ ! -S "$CONTAINERD_ADDRESS" ]; then echo ctr=not-asked
else
  v=$(t 20 ctr version 2>&1 </dev/null); echo "ctr_rc=$?"; printf '%s\\n' "$v" | sed 's/^/version: /'
${
  ns
    ? `  l=$(t 20 ctr -n ${ns} tasks ls 2>&1 </dev/null); echo "tasks_rc=$?"; printf '%s\\n' "$l" | sed 's/^/tasks: /'
  case "$l" in *RUNNING*) ;; *) t 20 ctr namespaces ls -q 2>&1 </dev/null | sed 's/^/namespace: /';; esac`
    : '  :'
}
fi`;
}

/** Server version from `ctr version` output, if the daemon answered. */
export function serverVersion(output: string): string | undefined {
  const lines = prefixed(output, 'version: ');
  const server = lines.findIndex((l) => /^Server:\s*$/.test(l.trim()));
  if (server < 0) return undefined;
  for (const line of lines.slice(server + 1)) {
    const m = /^\s*Version:\s*(\S+)/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** Tasks from `ctr tasks ls` lines (TASK PID STATUS). */
export function parseTasks(lines: readonly string[]): { id: string; pid: number; status: string }[] {
  return lines
    .map((l) => /^(\S+)\s+(\d+)\s+([A-Z]+)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ id: m[1]!, pid: Number(m[2]), status: m[3]! }));
}

/** Pure judgement of the containerd script's output. */
export function judgeContainerd(output: string, settings: ContainerdSettings): { passed: boolean; message: string } {
  const kv = parseKeyValues(output);
  const no = (message: string) => ({ passed: false, message });
  const pids = (kv.get('pid') ?? []).filter((p) => /^\d+$/.test(p));
  const processes = pids.length ? `a process named containerd runs: pid ${pids.join(', ')}` : 'no process is named containerd';
  const socket = first(kv, 'socket');
  if (first(kv, 'ctr') === 'missing') return no(`ctr is not installed on the host, so containerd cannot be asked on ${settings.socket} (${processes})`);
  const version = serverVersion(output);
  if (!version) {
    const lines = prefixed(output, 'version: ');
    const why = lines.find((l) => /error|failed|refused|no such|denied|deadline|timeout/i.test(l))?.trim();
    const where =
      socket === 'missing' ? `there is no ${settings.socket}`
      : socket === 'not-a-socket' ? `${settings.socket} is not a socket`
      : first(kv, 'ctr') === 'not-asked' ? `${settings.socket} went away while it was checked`
      : undefined;
    return no(`containerd does not answer on ${settings.socket}: ${where ?? why?.slice(0, 300) ?? 'ctr version shows no Server section'} (${processes})`);
  }
  const taskDirs = (kv.get('task_dir') ?? []).filter((d) => /^[^/]+\/[^/]+$/.test(d));
  const context = `${pids.length ? `pid ${pids.join(', ')}` : 'no process is named containerd'}; tasks in the state dir: ${taskDirs.join(', ') || 'none'}`;
  if (settings.namespace !== undefined) {
    const ns = settings.namespace;
    const rc = first(kv, 'tasks_rc');
    const lines = prefixed(output, 'tasks: ');
    if (rc !== '0') return no(`containerd ${version} answers, but listing the tasks of namespace ${ns} failed: ${lines.find((l) => l.trim())?.trim().slice(0, 300) ?? `status ${rc ?? 'unknown'}`}`);
    const tasks = parseTasks(lines);
    const running = tasks.filter((t) => t.status === 'RUNNING');
    if (running.length === 0) {
      const namespaces = prefixed(output, 'namespace: ').map((l) => l.trim()).filter((l) => /^[A-Za-z0-9._-]+$/.test(l));
      if (namespaces.length && !namespaces.includes(ns)) return no(`containerd ${version} answers, but namespace ${ns} does not exist (namespaces: ${namespaces.join(', ')})`);
      return no(`containerd ${version} answers, but namespace ${ns} has no running task (${tasks.map((t) => `${t.id} ${t.status}`).join(', ') || 'no tasks'})`);
    }
    return { passed: true, message: `containerd ${version} answers on ${settings.socket}; namespace ${ns} runs ${running.map((t) => `${t.id} (pid ${t.pid})`).join(', ')} (${context})` };
  }
  return { passed: true, message: `containerd ${version} answers on ${settings.socket} (${context})` };
}

export const containerdCheck = defineCheck<ContainerdSettings>({
  name: 'containerd',
  summary: 'containerd answers on its socket (ctr version shows a Server section)',
  settings: {
    socket: { type: 'string', default: defaultSocket, description: "Path of containerd's gRPC socket that must answer." },
    namespace: {
      type: 'string',
      description: 'When set, this containerd namespace must exist and have running tasks (leave unset for images whose service namespace is not known).',
    },
  },
  settles: true,
  check: (context) => {
    const script = containerdScript(context.settings);
    return settle(context, async () => {
      const { output } = await context.system.run(script);
      const verdict = judgeContainerd(output, context.settings);
      return verdict.passed ? pass(verdict.message, output) : fail(verdict.message, output);
    });
  },
});
