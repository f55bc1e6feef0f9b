// DHCP as the host saw it on the wire: decode BOOTP messages from captured Ethernet frames and
// find the lease a client took. Frames are untrusted bytes: every length is checked before use.
import type { WireDirection, WireRecord } from './capture.ts';
import type { PcapRecord } from './pcap.ts';

type DhcpType = 'DISCOVER' | 'OFFER' | 'REQUEST' | 'DECLINE' | 'ACK' | 'NAK' | 'RELEASE' | 'INFORM';
const TYPES: Record<number, DhcpType> = { 1: 'DISCOVER', 2: 'OFFER', 3: 'REQUEST', 4: 'DECLINE', 5: 'ACK', 6: 'NAK', 7: 'RELEASE', 8: 'INFORM' };

/** One DHCP message: who sent it (Ethernet source), for which client (chaddr), and what it says. */
interface DhcpMessage {
  readonly timeS: number;
  /** Which capture file the frame is in: only QEMU's side sends `to-guest` frames. */
  readonly direction?: WireDirection;
  readonly type: DhcpType;
  readonly xid: number;
  /** Ethernet source address of the frame, lower-case aa:bb:... */
  readonly frameSource: string;
  /** Client hardware address inside the message. */
  readonly clientMac: string;
  readonly sourceIp: string;
  readonly yourIp: string;
  readonly requestedIp?: string;
  readonly serverId?: string;
  readonly subnetMask?: string;
  readonly routers: readonly string[];
  readonly leaseS?: number;
}

const mac = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
const ip = (b: Buffer, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** Decode a DHCP message from one Ethernet frame, or undefined when the frame is anything else. */
export function decodeDhcpFrame(record: PcapRecord & { readonly direction?: WireDirection }): DhcpMessage | undefined {
  const f = record.data;
  if (f.length < 14) return undefined;
  let l3 = 14;
  let etherType = f.readUInt16BE(12);
  if (etherType === 0x8100 && f.length >= 18) {
    etherType = f.readUInt16BE(16);
    l3 = 18;
  }
  if (etherType !== 0x0800 || f.length < l3 + 20) return undefined;
  const ihl = (f[l3]! & 0x0f) * 4;
  if (f[l3]! >> 4 !== 4 || ihl < 20 || f[l3 + 9] !== 17) return undefined;
  const udp = l3 + ihl;
  if (f.length < udp + 8) return undefined;
  const sport = f.readUInt16BE(udp);
  const dport = f.readUInt16BE(udp + 2);
  if (!((sport === 68 && dport === 67) || (sport === 67 && dport === 68))) return undefined;
  const b = udp + 8;
  // Fixed BOOTP part (236 bytes) and the magic cookie.
  if (f.length < b + 240 || f.readUInt32BE(b + 236) !== 0x63825363) return undefined;
  const options = parseOptions(f.subarray(b + 240));
  const typeCode = options.get(53)?.[0];
  const type = typeCode === undefined ? undefined : TYPES[typeCode];
  if (!type) return undefined;
  const hlen = Math.min(f[b + 2]!, 16);
  const four = (code: number) => {
    const v = options.get(code);
    return v && v.length >= 4 ? ip(v, 0) : undefined;
  };
  const routerBytes = options.get(3) ?? Buffer.alloc(0);
  const routers: string[] = [];
  for (let i = 0; i + 4 <= routerBytes.length; i += 4) routers.push(ip(routerBytes, i));
  const lease = options.get(51);
  return {
    timeS: record.timeS,
    ...(record.direction ? { direction: record.direction } : {}),
    type,
    xid: f.readUInt32BE(b + 4),
    frameSource: mac(f.subarray(6, 12)),
    clientMac: mac(f.subarray(b + 28, b + 28 + hlen)),
    sourceIp: ip(f, l3 + 12),
    yourIp: ip(f, b + 16),
    requestedIp: four(50),
    serverId: four(54),
    subnetMask: four(1),
    routers,
    leaseS: lease && lease.length >= 4 ? lease.readUInt32BE(0) : undefined,
  };
}

/** DHCP options as code → value (pad and end handled; a truncated option ends the list). */
function parseOptions(bytes: Buffer): Map<number, Buffer> {
  const options = new Map<number, Buffer>();
  let at = 0;
  while (at < bytes.length) {
    const code = bytes[at]!;
    if (code === 0) {
      at += 1;
      continue;
    }
    if (code === 255 || at + 1 >= bytes.length) break;
    const length = bytes[at + 1]!;
    if (at + 2 + length > bytes.length) break;
    options.set(code, bytes.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return options;
}

/** The lease a client took, as the wire shows it. */
export interface WireLease {
  readonly clientMac: string;
  readonly xid: number;
  readonly address: string;
  /** Prefix length from the ACK's subnet mask (undefined when the server sent none). */
  readonly prefixLength?: number;
  readonly server?: string;
  readonly routers: readonly string[];
  readonly leaseS?: number;
  readonly requestAtS: number;
  readonly ackAtS: number;
  readonly discoverAtS?: number;
}

/** What a client did on the wire: its messages in order, and the lease if a REQUEST was ACKed. */
export interface WireDhcp {
  readonly messages: readonly DhcpMessage[];
  readonly lease?: WireLease;
}

/**
 * The DHCP exchange of the client `clientMac`: the last ACK for that client, sent by QEMU's side
 * (the to-guest capture: a guest can forge any Ethernet source, not the direction), whose
 * transaction the client itself opened with a REQUEST sent from its own MAC address.
 */
export function dhcpExchange(records: readonly WireRecord[], clientMac: string): WireDhcp {
  const want = clientMac.toLowerCase();
  const messages = records.map(decodeDhcpFrame).filter((m): m is DhcpMessage => m !== undefined && m.clientMac === want);
  let lease: WireLease | undefined;
  for (const ack of messages) {
    if (ack.type !== 'ACK' || ack.direction !== 'to-guest' || ack.frameSource === want || ack.yourIp === '0.0.0.0') continue;
    const request = [...messages].reverse().find((m) => m.type === 'REQUEST' && m.direction === 'from-guest' && m.xid === ack.xid && m.frameSource === want && m.timeS <= ack.timeS);
    if (!request) continue;
    const discover = messages.find((m) => m.type === 'DISCOVER' && m.direction === 'from-guest' && m.xid === ack.xid && m.frameSource === want);
    lease = {
      clientMac: want,
      xid: ack.xid,
      address: ack.yourIp,
      prefixLength: ack.subnetMask ? maskToPrefix(ack.subnetMask) : undefined,
      server: ack.serverId ?? ack.sourceIp,
      routers: ack.routers,
      leaseS: ack.leaseS,
      requestAtS: request.timeS,
      ackAtS: ack.timeS,
      discoverAtS: discover?.timeS,
    };
  }
  return { messages, lease };
}

/** 255.255.255.0 → 24; undefined for a mask that is not contiguous ones. */
export function maskToPrefix(mask: string): number | undefined {
  const n = mask.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  const bits = n.toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : undefined;
}

/** One line per message, for evidence: "12.345 DISCOVER xid 0x1234abcd from 52:54:00:..". */
export function describeMessages(messages: readonly DhcpMessage[], originS = 0): string[] {
  return messages.map((m) => {
    const parts = [`${(m.timeS - originS).toFixed(3)} s`, m.type, `xid 0x${m.xid.toString(16).padStart(8, '0')}`, `from ${m.frameSource}`, ...(m.direction ? [`(${m.direction})`] : [])];
    if (m.yourIp !== '0.0.0.0') parts.push(`yiaddr ${m.yourIp}`);
    if (m.requestedIp) parts.push(`requested ${m.requestedIp}`);
    if (m.subnetMask) parts.push(`mask ${m.subnetMask}`);
    if (m.leaseS !== undefined) parts.push(`lease ${m.leaseS} s`);
    if (m.routers.length) parts.push(`router ${m.routers.join(',')}`);
    return parts.join(' ');
  });
}
