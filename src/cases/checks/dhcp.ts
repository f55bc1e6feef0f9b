// dhcp: the guest's NIC took a lease from QEMU's DHCP server, as the host saw it on the wire,
// and the interface holds that lease. What the client left in the guest (lease files, processes)
// is kept as context only: a one-shot client leaves nothing, and a static setup can fake anything.
import { type CheckContext, defineCheck, fail, pass, settle, type Verdict } from '../check.ts';
import { prefixed, processScan } from '../../console/guest-output.ts';
import { shellQuote } from '../../util/shell-quote.ts';
import { describeMessages, dhcpExchange, type WireDhcp } from '../../wire/dhcp.ts';

function script(iface: string, clientNames: readonly string[]): string {
  const i = shellQuote(iface);
  return `ip -4 addr show dev ${i} 2>&1 </dev/null | sed 's/^/addr: /'
ip -4 route show 2>&1 </dev/null | sed 's/^/route: /'
sed 's/^/proute: /' /proc/net/route 2>/dev/null
${processScan('client', clientNames)}
for f in /run/dhcp* /run/dhcp/* /run/dhcpcd* /run/dhcpcd/* /run/udhcpc* /var/lib/dhcpcd/* /var/lib/dhcp/* /var/db/dhcpcd/*; do [ -e "$f" ] && echo "lease_file=$f"; done`;
}

interface DhcpSettings {
  readonly interface: string;
  /** The lease QEMU's server hands out, with its prefix length. */
  readonly address: string;
  readonly gateway: string;
  readonly routeRequired: boolean;
  readonly clientNames: readonly string[];
}

/** What the wire says, in one line, when it shows no completed exchange. */
function wireShortfall(wire: WireDhcp, mac: string): string {
  // By direction where the capture has it: a "server" message the guest forged is the guest's.
  const fromGuest = (m: WireDhcp['messages'][number]) => (m.direction ? m.direction === 'from-guest' : m.frameSource === mac);
  const sent = wire.messages.filter(fromGuest).map((m) => m.type);
  if (sent.length === 0) return `the host saw no DHCP message from the guest's NIC (${mac})`;
  const answered = wire.messages.filter((m) => !fromGuest(m)).map((m) => m.type);
  return `the guest's NIC (${mac}) sent ${[...new Set(sent)].join('/')} but no REQUEST was ACKed (server sent: ${[...new Set(answered)].join('/') || 'nothing'})`;
}

/** Pure judgement: the wire's exchange for `mac`, plus the guest's view of the interface. */
export function judgeDhcp(wire: WireDhcp, mac: string, output: string, settings: DhcpSettings): { passed: boolean; message: string } {
  const iface = settings.interface;
  const addrLines = prefixed(output, 'addr: ');
  if (addrLines.some((l) => /does not exist|can't find device|Cannot find device/i.test(l))) {
    return { passed: false, message: `${iface} does not exist` };
  }
  const held = addrLines.map((l) => /^\s*inet (\S+)/.exec(l)?.[1]).filter((a): a is string => a !== undefined);
  const lease = wire.lease;
  if (!lease) {
    const what = held.length ? `${iface} holds ${held.join(', ')}, but ${wireShortfall(wire, mac)}: not a DHCP lease` : `${iface} has no IPv4 address and ${wireShortfall(wire, mac)}`;
    return { passed: false, message: what };
  }
  const [expectedIp] = settings.address.split('/');
  const leased = `${lease.address}/${lease.prefixLength ?? settings.address.split('/')[1] ?? '32'}`;
  const transaction = `xid 0x${lease.xid.toString(16).padStart(8, '0')}, ACK at ${lease.ackAtS.toFixed(1)} s from ${lease.server ?? '?'}${lease.leaseS !== undefined ? `, ${lease.leaseS} s lease` : ''}`;
  if (lease.address !== expectedIp) {
    return { passed: false, message: `QEMU's server leased ${leased} (${transaction}), not the expected ${settings.address}` };
  }
  if (!held.includes(leased)) {
    return { passed: false, message: `the wire shows a lease of ${leased} (${transaction}) but ${iface} holds ${held.join(', ') || 'no IPv4 address'}` };
  }
  const routes = prefixed(output, 'route: ');
  const viaIp = routes.some((l) => new RegExp(`^default via ${settings.gateway.replace(/\./g, '\\.')} dev ${iface}\\b`).test(l.trim()));
  const viaProc = prefixed(output, 'proute: ').some((l) => {
    const [dev, dest, gw] = l.trim().split(/\s+/);
    return dev === iface && dest === '00000000' && gw !== undefined && hexToIp(gw) === settings.gateway;
  });
  const defaultRoute = routes.find((l) => l.startsWith('default')) ?? prefixed(output, 'proute: ').find((l) => l.trim().split(/\s+/)[1] === '00000000');
  if (!viaIp && !viaProc && (defaultRoute || settings.routeRequired)) {
    return { passed: false, message: `${iface} holds the lease ${leased} but the default route is not via ${settings.gateway} (default: ${defaultRoute?.trim() ?? 'none'})` };
  }
  const route = viaIp || viaProc ? `default route via ${settings.gateway}` : 'no default route (none offered on a restricted network)';
  return { passed: true, message: `${iface} holds ${leased}, leased on the wire (${transaction}); ${route}` };
}

/** Little-endian hex from /proc/net/route to dotted quad. */
export function hexToIp(hex: string): string {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return '';
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

export const dhcpCheck = defineCheck<DhcpSettings>({
  name: 'dhcp',
  summary: "the guest's NIC took a lease from QEMU's DHCP server on the wire, and the interface holds it",
  settings: {
    interface: { type: 'string', default: 'eth0', description: 'Network interface that must hold the lease.' },
    address: { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$', default: '10.0.2.15/24', description: 'Expected IPv4 address with prefix length.' },
    gateway: { type: 'string', default: '10.0.2.2', description: 'Router a default route must go through, when there is one.' },
    routeRequired: {
      type: 'boolean',
      default: false,
      description: "Whether a default route must exist. QEMU's DHCP server (libslirp) offers no router option on a restricted network, so a correct client may install none.",
    },
    clientNames: {
      type: 'array',
      items: { type: 'string' },
      default: ['dhcpcd', 'udhcpc', 'dhclient'],
      description: 'Process names of DHCP clients, listed in the evidence as context only: the lease is judged from the wire.',
    },
  },
  settles: true,
  check: (context) => dhcpJudgedFromTheWire(context),
});

function dhcpJudgedFromTheWire(context: CheckContext<DhcpSettings>): Promise<Verdict> {
  const settings = context.settings;
  const view = context.hostView;
  return settle(context, async () => {
    if (!view) return fail('this run has no capture of the guest network, so no DHCP exchange can be shown', '');
    const { output } = await context.system.run(script(settings.interface, settings.clientNames));
    const captured = view.readWire();
    const wire = dhcpExchange(captured.records, view.mac);
    const wireLines = captured.error ? [`capture unreadable: ${captured.error}`] : describeMessages(wire.messages);
    const evidence = [`wire (host capture of ${view.mac}, ${captured.records.length} frames):`, ...(wireLines.length ? wireLines : ['no DHCP message']), '', 'guest (context only):', output].join('\n');
    if (captured.error) return fail(`the capture of the guest network cannot be read: ${captured.error}`, evidence);
    // A capture the host stopped short proves nothing against the guest: an error, not a failed dhcp.
    if (!wire.lease && captured.capped) throw new Error(`the exchange cannot be judged: ${captured.capped}`);
    const verdict = judgeDhcp(wire, view.mac, output, settings);
    return verdict.passed ? pass(verdict.message, evidence) : fail(verdict.message, evidence);
  });
}
