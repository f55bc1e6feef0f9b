// Decide how to reach the host from the console shell: LinuxKit's getty runs in a container,
// so when the shell's namespaces differ from PID 1's, checks run through nsenter.
import { first, parseKeyValues } from './guest-output.ts';

export interface HostContext {
  /** Command prefix that runs a program in PID 1's namespaces ('' when the shell already is there). */
  readonly via: string;
  /** One line for the report. */
  readonly description: string;
}

/** Script printed by the console shell itself (not via nsenter). */
export const hostContextScript = `echo "self_mnt=$(readlink /proc/self/ns/mnt)"
echo "init_mnt=$(readlink /proc/1/ns/mnt)"
echo "self_pid=$(readlink /proc/self/ns/pid)"
echo "init_pid=$(readlink /proc/1/ns/pid)"
echo "self_net=$(readlink /proc/self/ns/net)"
echo "init_net=$(readlink /proc/1/ns/net)"
command -v nsenter >/dev/null 2>&1 && echo nsenter=yes
echo "uid=$(id -u 2>/dev/null)"`;

/** Pure decision from the output of hostContextScript. */
export function decideHostContext(output: string): HostContext {
  const kv = parseKeyValues(output);
  const differs = (['mnt', 'pid', 'net'] as const).filter((ns) => first(kv, `self_${ns}`) !== first(kv, `init_${ns}`));
  if (differs.length === 0) return { via: '', description: "console shell runs in PID 1's namespaces" };
  if (first(kv, 'nsenter') !== 'yes') {
    return { via: '', description: `console shell is in its own ${differs.join('/')} namespace and has no nsenter: checks see the shell's view` };
  }
  return {
    via: 'nsenter -t 1 -m -n -p --',
    description: `console shell is in its own ${differs.join('/')} namespace (a getty container): checks run in PID 1's through nsenter`,
  };
}
