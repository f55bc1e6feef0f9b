// Helpers to write guest scripts and read their output. Guest output is untrusted: parse, never eval.

/** `key=value` lines printed by a guest script, grouped by key (other lines are ignored). */
export function parseKeyValues(output: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of output.split('\n')) {
    const m = /^([a-z_][a-z0-9_]*)=(.*)$/.exec(line.trimEnd());
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    const list = map.get(key) ?? [];
    if (list.length < 1000) list.push(value.slice(0, 2000));
    map.set(key, list);
  }
  return map;
}

/** First value of `key`, or undefined. */
export function first(values: Map<string, string[]>, key: string): string | undefined {
  return values.get(key)?.[0];
}

/** Lines that start with `prefix`, prefix removed. */
export function prefixed(output: string, prefix: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
}

/** A shell function `t SECONDS CMD...` that uses timeout(1) when the guest has it. */
export const timeoutHelper = 't() { if command -v timeout >/dev/null 2>&1; then timeout "$@"; else shift; "$@"; fi; }';

/**
 * Shell snippet printing `KEY=PID COMM MNTNS PIDNS ANCESTORS` for every process whose comm is in `names`.
 * Every /proc file is read with the `read` builtin: a fork per process costs tens of milliseconds
 * under emulation, and the loop visits every process of the guest.
 */
export function processScan(key: string, names: readonly string[]): string {
  const list = names.map((n) => n.slice(0, 15).replace(/[^A-Za-z0-9._-]/g, '')).join(' ');
  return [
    `for p in /proc/[0-9]*; do c=; read -r c 2>/dev/null < "$p/comm" || continue`,
    `case " ${list} " in *" $c "*) ;; *) continue;; esac`,
    // Ancestors up to PID 1 (by comm, spaces made _), kept as context for the reader of the evidence.
    `q=\${p#/proc/}; a=; for _ in 1 2 3 4 5 6; do pp=; while read -r k v; do [ "$k" = PPid: ] && { pp=$v; break; }; done 2>/dev/null < "/proc/$q/status"; q=$pp; [ -n "$q" ] && [ "$q" -gt 1 ] 2>/dev/null || break; n=; read -r n 2>/dev/null < "/proc/$q/comm"; while :; do case "$n" in *' '*) n="\${n%% *}_\${n#* }";; *) break;; esac; done; a="$a>$n"; done`,
    `echo "${key}=\${p#/proc/} $c $(readlink "$p/ns/mnt" 2>/dev/null) $(readlink "$p/ns/pid" 2>/dev/null) \${a#>}"; done`,
  ].join('\n');
}
