// dhcp: the interface holds the expected lease and the image's own DHCP client obtained it.
import { type Check, fail, pass, settle } from '../check.ts';
import { parseKeyValues, prefixed, processScan, shellQuote } from '../guest-output.ts';

function script(iface: string, clientNames: readonly string[]): string {
  const i = shellQuote(iface);
  return `ip -4 addr show dev ${i} 2>&1 </dev/null | sed 's/^/addr: /'
ip -4 route show 2>&1 </dev/null | sed 's/^/route: /'
sed 's/^/proute: /' /proc/net/route 2>/dev/null
${processScan('client', clientNames)}
for f in /run/dhcp* /run/dhcpcd* /run/udhcpc* /var/lib/dhcpcd/* /var/lib/dhcp/* /var/db/dhcpcd/* /run/systemd/netif/leases/*; do [ -e "$f" ] && echo "lease_file=$f"; done
if command -v runc >/dev/null 2>&1; then for r in /run/runc /run/containerd/runc/*; do [ -d "$r" ] && runc --root "$r" list 2>/dev/null </dev/null | sed "1d; s|^|container=runc:$r |"; done; fi
if command -v ctr >/dev/null 2>&1; then for n in $(ctr namespaces ls -q 2>/dev/null </dev/null); do ctr -n "$n" containers ls -q 2>/dev/null </dev/null | sed "s|^|container=ctr:$n |"; done; fi`;
}

/** Pure judgement of the dhcp script's output. */
export function judgeDhcp(output: string, settings: { interface: string; address: string; gateway: string; routeRequired: boolean; clientNames: readonly string[] }): { passed: boolean; message: string } {
  const iface = settings.interface;
  const addrLines = prefixed(output, 'addr: ');
  const inet = addrLines.map((l) => /^\s*inet (\S+)(.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  if (addrLines.some((l) => /does not exist|can't find device|Cannot find device/i.test(l))) {
    return { passed: false, message: `${iface} does not exist` };
  }
  const held = inet.find((m) => m[1] === settings.address);
  if (!held) {
    const got = inet.map((m) => m[1]).join(', ');
    return { passed: false, message: got ? `${iface} holds ${got}, not the DHCP lease ${settings.address}` : `${iface} has no IPv4 address; expected the DHCP lease ${settings.address}` };
  }
  const routes = prefixed(output, 'route: ');
  const viaIp = routes.some((l) => new RegExp(`^default via ${settings.gateway.replace(/\./g, '\\.')} dev ${iface}\\b`).test(l.trim()));
  const viaProc = prefixed(output, 'proute: ').some((l) => {
    const [dev, dest, gw] = l.trim().split(/\s+/);
    return dev === iface && dest === '00000000' && gw !== undefined && hexToIp(gw) === settings.gateway;
  });
  const defaultRoute = routes.find((l) => l.startsWith('default')) ?? prefixed(output, 'proute: ').find((l) => l.trim().split(/\s+/)[1] === '00000000');
  if (!viaIp && !viaProc && (defaultRoute || settings.routeRequired)) {
    return { passed: false, message: `${iface} has ${settings.address} but the default route is not via ${settings.gateway} (default: ${defaultRoute?.trim() ?? 'none'})` };
  }
  // Evidence that a DHCP client, not a static configuration, put the address there.
  const kv = parseKeyValues(output);
  const evidence: string[] = [];
  if (/\bdynamic\b/.test(held[2] ?? '') || addrLines.some((l) => /valid_lft \d+sec/.test(l))) evidence.push('a leased (dynamic) address');
  const clients = kv.get('client') ?? [];
  if (clients.length) evidence.push(`client ${clients.map((c) => c.split(' ')[1]).join(', ')} running`);
  const leases = kv.get('lease_file') ?? [];
  if (leases.length) evidence.push(`lease file ${leases[0]}`);
  const records = (kv.get('container') ?? []).filter((c) => /dhcp|dhcpcd|udhcpc|dhclient/i.test(c));
  if (records.length) evidence.push(`container ${records[0]?.split(' ').slice(1, 2).join('')}`);
  if (evidence.length === 0) {
    return { passed: false, message: `${iface} has ${settings.address} but nothing shows a DHCP client obtained it (static address, no client, no lease, no client container)` };
  }
  const route = viaIp || viaProc ? `default route via ${settings.gateway}` : 'no default route (none offered on a restricted network)';
  return { passed: true, message: `${iface} holds ${settings.address}, ${route}; from DHCP: ${evidence.join('; ')}` };
}

/** Little-endian hex from /proc/net/route to dotted quad. */
export function hexToIp(hex: string): string {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return '';
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

export const dhcpCheck: Check = (context) => {
  const settings = {
    interface: context.settings.interface ?? 'eth0',
    address: context.settings.address ?? '10.0.2.15/24',
    gateway: context.settings.gateway ?? '10.0.2.2',
    routeRequired: context.settings.routeRequired ?? false,
    clientNames: context.settings.clientNames ?? ['dhcpcd', 'udhcpc', 'dhclient'],
  };
  return settle(context, async () => {
    const { output } = await context.host.run(script(settings.interface, settings.clientNames));
    const verdict = judgeDhcp(output, settings);
    return verdict.passed ? pass(verdict.message, output) : fail(verdict.message, output);
  });
};
