// services-isolated: the RNG service and the DHCP client run in mount namespaces other than PID 1's.
import { type Check, fail, pass, settle } from '../check.ts';
import { first, parseKeyValues, parseProcesses, processScan } from '../guest-output.ts';

function script(rngNames: readonly string[], dhcpNames: readonly string[]): string {
  return `echo "host_mnt=$(readlink /proc/1/ns/mnt)"
echo "host_pid=$(readlink /proc/1/ns/pid)"
${processScan('rng', rngNames)}
${processScan('dhcp', dhcpNames)}
if command -v runc >/dev/null 2>&1; then for r in /run/runc /run/containerd/runc/*; do [ -d "$r" ] && runc --root "$r" list 2>/dev/null </dev/null | sed "1d; s|^|container=runc:$r |"; done; fi
if command -v ctr >/dev/null 2>&1; then for n in $(ctr namespaces ls -q 2>/dev/null </dev/null); do ctr -n "$n" containers ls -q 2>/dev/null </dev/null | sed "s|^|container=ctr:$n |"; done; fi`;
}

/** Pure judgement of the services-isolated script's output. */
export function judgeIsolation(output: string): { passed: boolean; message: string } {
  const kv = parseKeyValues(output);
  const hostMnt = first(kv, 'host_mnt');
  if (!hostMnt) return { passed: false, message: "cannot read PID 1's mount namespace" };
  const rng = parseProcesses(kv.get('rng'));
  const dhcp = parseProcesses(kv.get('dhcp'));
  const onHost = [...rng, ...dhcp].filter((p) => p.mntns === hostMnt);
  if (onHost.length) {
    return { passed: false, message: `${onHost.map((p) => `${p.comm} (pid ${p.pid})`).join(', ')} run${onHost.length === 1 ? 's' : ''} in PID 1's mount namespace ${hostMnt}, not in a container` };
  }
  // A private mount namespace alone (unshare -m) is not a container: ask for a container runtime
  // among the ancestors or a PID namespace of its own as well.
  const hostPid = first(kv, 'host_pid');
  const loose = [...rng, ...dhcp].filter((p) => p.pidns === hostPid && !p.ancestors.some((a) => /^(containerd-shim|runc|runc:)/.test(a)));
  if (loose.length) {
    return { passed: false, message: `${loose.map((p) => `${p.comm} (pid ${p.pid})`).join(', ')} has a private mount namespace but shares PID 1's PID namespace and was not started by a container runtime (ancestors: ${loose[0]?.ancestors.join(' > ') || 'none'})` };
  }
  const notes: string[] = [];
  if (rng.length) notes.push(`${rng.map((p) => `${p.comm} ${p.mntns}`).join(', ')}`);
  if (dhcp.length) notes.push(`${dhcp.map((p) => `${p.comm} ${p.mntns}`).join(', ')}`);
  else {
    const record = (kv.get('container') ?? []).find((c) => /dhcp|udhcpc|dhclient/i.test(c));
    notes.push(record ? `DHCP client exited; it ran as container ${record.split(' ').slice(0, 2).join(' ')}` : 'no DHCP client running or recorded (one-shot clients leave nothing to judge)');
  }
  if (!rng.length && !dhcp.length && !notes[0]?.startsWith('DHCP client exited')) {
    return { passed: false, message: 'neither the RNG service nor the DHCP client can be found, so their isolation cannot be shown' };
  }
  if (!rng.length) notes.unshift('no RNG service running (the rng case judges that)');
  return { passed: true, message: `host mnt ${hostMnt}; ${notes.join('; ')}` };
}

export const servicesIsolatedCheck: Check = (context) => {
  const rngNames = context.settings.processNames ?? ['rngd'];
  const dhcpNames = context.settings.clientNames ?? ['dhcpcd', 'udhcpc', 'dhclient'];
  return settle(context, async () => {
    const { output } = await context.host.run(script(rngNames, dhcpNames));
    const verdict = judgeIsolation(output);
    return verdict.passed ? pass(verdict.message, output) : fail(verdict.message, output);
  });
};
