import test from 'ava';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.ts';
import { dhcpCheck, hexToIp, judgeDhcp } from '../../src/cases/checks/dhcp.ts';
import { decodeDhcpFrame, dhcpExchange, maskToPrefix } from '../../src/wire/dhcp.ts';
import { WireCapture, type WireRecord } from '../../src/wire/capture.ts';
import { parsePcap } from '../../src/wire/pcap.ts';
import { bySource } from '../helpers/wire.ts';

const GUEST = '52:54:00:12:34:56';
const SERVER = '52:55:0a:00:02:02';
const macBytes = (m: string) => Buffer.from(m.split(':').map((x) => Number.parseInt(x, 16)));
const ipBytes = (a: string) => Buffer.from(a.split('.').map(Number));

/** An Ethernet/IPv4/UDP frame carrying one DHCP message, as a NIC would send it. */
function dhcpFrame(o: { type: number; xid: number; from: string; client?: string; yiaddr?: string; srcIp?: string; mask?: string; lease?: number; router?: string; server?: string }): Buffer {
  const options = [Buffer.from([53, 1, o.type])];
  if (o.server) options.push(Buffer.concat([Buffer.from([54, 4]), ipBytes(o.server)]));
  if (o.mask) options.push(Buffer.concat([Buffer.from([1, 4]), ipBytes(o.mask)]));
  if (o.router) options.push(Buffer.concat([Buffer.from([3, 4]), ipBytes(o.router)]));
  if (o.lease !== undefined) {
    const l = Buffer.alloc(6);
    l.writeUInt8(51, 0);
    l.writeUInt8(4, 1);
    l.writeUInt32BE(o.lease, 2);
    options.push(l);
  }
  options.push(Buffer.from([255]));
  const bootp = Buffer.alloc(240);
  bootp[0] = o.from === (o.client ?? GUEST) ? 1 : 2;
  bootp[1] = 1;
  bootp[2] = 6;
  bootp.writeUInt32BE(o.xid, 4);
  ipBytes(o.yiaddr ?? '0.0.0.0').copy(bootp, 16);
  macBytes(o.client ?? GUEST).copy(bootp, 28);
  bootp.writeUInt32BE(0x63825363, 236);
  const payload = Buffer.concat([bootp, ...options]);
  const udp = Buffer.alloc(8);
  const fromClient = o.from === (o.client ?? GUEST);
  udp.writeUInt16BE(fromClient ? 68 : 67, 0);
  udp.writeUInt16BE(fromClient ? 67 : 68, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[9] = 17;
  ipBytes(o.srcIp ?? (fromClient ? '0.0.0.0' : '10.0.2.2')).copy(ip, 12);
  ipBytes('255.255.255.255').copy(ip, 16);
  const eth = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), macBytes(o.from), Buffer.from([0x08, 0x00])]);
  return Buffer.concat([eth, ip, udp, payload]);
}

/** A pcap file (little-endian, microseconds) holding `frames` at the given times. */
function pcap(frames: readonly { timeS: number; data: Buffer }[], { bigEndian = false } = {}): Buffer {
  const header = Buffer.alloc(24);
  const w = (b: Buffer, v: number, at: number) => (bigEndian ? b.writeUInt32BE(v, at) : b.writeUInt32LE(v, at));
  w(header, 0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  w(header, 65535, 16);
  w(header, 1, 20);
  const parts: Buffer[] = [header];
  for (const f of frames) {
    const rec = Buffer.alloc(16);
    w(rec, Math.floor(f.timeS), 0);
    w(rec, Math.round((f.timeS % 1) * 1e6), 4);
    w(rec, f.data.length, 8);
    w(rec, f.data.length, 12);
    parts.push(rec, f.data);
  }
  return Buffer.concat(parts);
}

const ack = { server: '10.0.2.2', mask: '255.255.255.0', lease: 86400, yiaddr: '10.0.2.15' };
const fullExchange = [
  { timeS: 5.1, data: dhcpFrame({ type: 1, xid: 0xabc, from: GUEST }) },
  { timeS: 5.2, data: dhcpFrame({ type: 2, xid: 0xabc, from: SERVER, ...ack }) },
  { timeS: 5.3, data: dhcpFrame({ type: 3, xid: 0xabc, from: GUEST }) },
  { timeS: 5.4, data: dhcpFrame({ type: 5, xid: 0xabc, from: SERVER, ...ack }) },
];
/** The frames as kittest reads them: a GUEST frame from the from-guest file, any other from the to-guest file. */
const records = (frames: readonly { timeS: number; data: Buffer }[], guest = GUEST): WireRecord[] => bySource(parsePcap(pcap(frames)).records, guest);
const settings = { interface: 'eth0', address: '10.0.2.15/24', gateway: '10.0.2.2', routeRequired: false, clientNames: ['udhcpc'] };
const holds = (addr: string) => `addr: 2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\naddr:     inet ${addr} scope global eth0\naddr:        valid_lft forever preferred_lft forever\n`;

test('a pcap file in either byte order gives back its frames and times', (t) => {
  for (const bigEndian of [false, true]) {
    const file = parsePcap(pcap(fullExchange, { bigEndian }));
    t.is(file.linkType, 1);
    t.is(file.records.length, 4);
    t.is(file.records[3]!.timeS.toFixed(1), '5.4');
    t.is(file.trailingBytes, 0);
  }
});

test('a record QEMU is still writing is left out, not misread', (t) => {
  const whole = pcap(fullExchange);
  const file = parsePcap(whole.subarray(0, whole.length - 10));
  t.is(file.records.length, 3);
  t.true(file.trailingBytes > 0);
});

test('a file that is not a pcap is refused with its magic number', (t) => {
  t.throws(() => parsePcap(Buffer.alloc(40, 7)), { message: /not a pcap file: magic 0x07070707/ });
  t.throws(() => parsePcap(Buffer.alloc(3)), { message: /header alone is 24/ });
});

test('DHCP messages are decoded with their type, transaction, addresses and options', (t) => {
  const m = decodeDhcpFrame({ timeS: 1, data: dhcpFrame({ type: 5, xid: 0x1234, from: SERVER, ...ack, router: '10.0.2.2' }) })!;
  t.like(m, { type: 'ACK', xid: 0x1234, frameSource: SERVER, clientMac: GUEST, yourIp: '10.0.2.15', serverId: '10.0.2.2', subnetMask: '255.255.255.0', leaseS: 86400 });
  t.deepEqual(m.routers, ['10.0.2.2']);
});

test('frames that are not DHCP, or are cut short, are ignored', (t) => {
  const frame = dhcpFrame({ type: 1, xid: 1, from: GUEST });
  t.is(decodeDhcpFrame({ timeS: 0, data: frame.subarray(0, 100) }), undefined);
  const arp = Buffer.concat([frame.subarray(0, 12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
  t.is(decodeDhcpFrame({ timeS: 0, data: arp }), undefined);
  const other = Buffer.from(frame);
  other.writeUInt16BE(53, 34); // UDP source port 53: DNS, not DHCP
  t.is(decodeDhcpFrame({ timeS: 0, data: other }), undefined);
});

test('the lease is the ACK of a REQUEST the guest itself sent', (t) => {
  const wire = dhcpExchange(records(fullExchange), GUEST);
  t.like(wire.lease, { address: '10.0.2.15', prefixLength: 24, xid: 0xabc, leaseS: 86400, server: '10.0.2.2' });
  t.is(wire.lease!.discoverAtS!.toFixed(1), '5.1');
  t.is(wire.lease!.ackAtS.toFixed(1), '5.4');
});

test('an ACK without the guest REQUEST, or for another MAC, is no lease of the guest', (t) => {
  t.is(dhcpExchange(records([fullExchange[3]!]), GUEST).lease, undefined);
  const other = '52:54:00:99:99:99';
  const foreign = [
    { timeS: 1, data: dhcpFrame({ type: 3, xid: 7, from: other, client: other }) },
    { timeS: 2, data: dhcpFrame({ type: 5, xid: 7, from: SERVER, client: other, ...ack }) },
  ];
  t.is(dhcpExchange(records(foreign, other), GUEST).lease, undefined);
});

test("an ACK the guest sent itself, with the server's MAC and address forged, is no lease: only QEMU's side writes to-guest frames", (t) => {
  const forged = [...fullExchange.slice(0, 3), { timeS: 5.4, data: dhcpFrame({ type: 5, xid: 0xabc, from: SERVER, ...ack }) }];
  // Every frame here went from the guest's NIC, so all are in the from-guest file, the forged "server" ACK too.
  const fromGuest: WireRecord[] = parsePcap(pcap(forged)).records.map((r) => ({ ...r, direction: 'from-guest' }));
  const wire = dhcpExchange(fromGuest, GUEST);
  t.is(wire.lease, undefined);
  t.deepEqual(wire.messages.map((m) => m.type), ['DISCOVER', 'OFFER', 'REQUEST', 'ACK']);
  const verdict = judgeDhcp(wire, GUEST, holds('10.0.2.15/24'), settings);
  t.false(verdict.passed);
  t.regex(verdict.message, /the guest's NIC \(52:54:00:12:34:56\) sent DISCOVER\/OFFER\/REQUEST\/ACK but no REQUEST was ACKed \(server sent: nothing\)/);
});

test('subnet masks become prefix lengths; holes in a mask are refused', (t) => {
  t.is(maskToPrefix('255.255.255.0'), 24);
  t.is(maskToPrefix('255.255.255.255'), 32);
  t.is(maskToPrefix('255.0.255.0'), undefined);
});

test('dhcp passes when the wire shows the lease and eth0 holds it, even with no trace left in the guest', (t) => {
  const verdict = judgeDhcp(dhcpExchange(records(fullExchange), GUEST), GUEST, holds('10.0.2.15/24'), settings);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.message, /eth0 holds 10\.0\.2\.15\/24, leased on the wire \(xid 0x00000abc, ACK at 5\.4 s from 10\.0\.2\.2, 86400 s lease\)/);
});

test('dhcp fails a static address with lease files and a client process when the wire shows no exchange', (t) => {
  const guest = `${holds('10.0.2.15/24').replace('forever', '86391sec')}client=99 udhcpc\nlease_file=/run/dhcp/eth0.lease\n`;
  const verdict = judgeDhcp(dhcpExchange([], GUEST), GUEST, guest, settings);
  t.false(verdict.passed);
  t.regex(verdict.message, /eth0 holds 10\.0\.2\.15\/24, but the host saw no DHCP message from the guest's NIC \(52:54:00:12:34:56\): not a DHCP lease/);
});

test('dhcp fails when the guest asked but never got an ACK, and says what the server sent', (t) => {
  const verdict = judgeDhcp(dhcpExchange(records(fullExchange.slice(0, 2)), GUEST), GUEST, 'addr: 2: eth0: <BROADCAST,MULTICAST,UP>\n', settings);
  t.false(verdict.passed);
  t.regex(verdict.message, /eth0 has no IPv4 address and the guest's NIC \(.*\) sent DISCOVER but no REQUEST was ACKed \(server sent: OFFER\)/);
});

test('dhcp fails when eth0 holds another address than the one leased on the wire', (t) => {
  const verdict = judgeDhcp(dhcpExchange(records(fullExchange), GUEST), GUEST, holds('10.0.2.99/24'), settings);
  t.false(verdict.passed);
  t.regex(verdict.message, /the wire shows a lease of 10\.0\.2\.15\/24 .* but eth0 holds 10\.0\.2\.99\/24/);
});

test('dhcp fails a default route through another gateway', (t) => {
  const verdict = judgeDhcp(dhcpExchange(records(fullExchange), GUEST), GUEST, `${holds('10.0.2.15/24')}route: default via 10.0.2.9 dev eth0\n`, settings);
  t.false(verdict.passed);
  t.regex(verdict.message, /default route is not via 10\.0\.2\.2/);
});

test('dhcp reads the default route from /proc/net/route when ip shows none', (t) => {
  const out = `${holds('10.0.2.15/24')}proute: eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\n`;
  t.true(judgeDhcp(dhcpExchange(records(fullExchange), GUEST), GUEST, out, settings).passed);
  t.is(hexToIp('0202000A'), '10.0.2.2');
});

test('dhcp passes with no default route on a restricted network and fails where one is required', (t) => {
  const wire = dhcpExchange(records(fullExchange), GUEST);
  t.true(judgeDhcp(wire, GUEST, holds('10.0.2.15/24'), settings).passed);
  t.regex(judgeDhcp(wire, GUEST, holds('10.0.2.15/24'), { ...settings, routeRequired: true }).message, /default route is not via 10\.0\.2\.2 \(default: none\)/);
});

test('a capture recorded by QEMU (s390x, one-shot udhcpc) gives the whole exchange and the lease', (t) => {
  // Recorded by filter-dump during a real run of images/broken/oneshot-dhcp.yml; the guest's MAC was 52:54:00:1d:a1:b5.
  const file = parsePcap(readFileSync(join(projectRoot, 'test', 'fixtures', 'wire', 'oneshot-dhcp-s390x.pcap')));
  t.is(file.linkType, 1);
  const wire = dhcpExchange(bySource(file.records, '52:54:00:1d:a1:b5'), '52:54:00:1d:a1:b5');
  t.deepEqual([...new Set(wire.messages.map((m) => m.type))], ['DISCOVER', 'OFFER', 'REQUEST', 'ACK']);
  t.like(wire.lease, { address: '10.0.2.15', prefixLength: 24, server: '10.0.2.2' });
  // QEMU 7.2's filter-dump stamps frames with the host's wall clock (readCapture makes them relative to QEMU's start).
  t.true(wire.lease!.ackAtS > 1.7e9, String(wire.lease!.ackAtS));
  t.true(wire.lease!.ackAtS - wire.lease!.discoverAtS! < 5, 'the exchange took seconds');
  t.is(dhcpExchange(bySource(file.records, '52:54:00:00:00:01'), '52:54:00:00:00:01').lease, undefined);
});

test('the capture is read as it grows: each file from where the last read stopped, a record cut in two kept for the next read', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-wire-'));
  const files = { 'from-guest': join(dir, 'rx.pcap'), 'to-guest': join(dir, 'tx.pcap') };
  const fromGuest = pcap(fullExchange.filter((_, i) => i % 2 === 0));
  const toGuest = pcap(fullExchange.filter((_, i) => i % 2 === 1));
  const capture = new WireCapture(files, 0);
  t.deepEqual(capture.read().records, [], 'files QEMU has not made yet are no error');
  const cut = 24 + 16 + 100;
  writeFileSync(files['from-guest'], fromGuest.subarray(0, cut));
  writeFileSync(files['to-guest'], toGuest);
  const first = capture.read();
  t.deepEqual(first.records.map((r) => [r.timeS.toFixed(1), r.direction]), [['5.2', 'to-guest'], ['5.4', 'to-guest']]);
  // What was read is not read again: spoil it on disk, then let the file grow.
  writeFileSync(files['to-guest'], Buffer.alloc(toGuest.length, 0xff));
  appendFileSync(files['from-guest'], fromGuest.subarray(cut));
  const second = capture.read();
  t.deepEqual(second.records.map((r) => [r.timeS.toFixed(1), r.direction]), [['5.2', 'to-guest'], ['5.4', 'to-guest'], ['5.1', 'from-guest'], ['5.3', 'from-guest']]);
  t.is(second.error, undefined);
  t.like(dhcpExchange(second.records, GUEST).lease, { address: '10.0.2.15' });
  t.is(capture.bytesOnDisk(), fromGuest.length + toGuest.length);
});

test('no more than the cap is ever read from the capture files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-wire-'));
  const files = { 'from-guest': join(dir, 'rx.pcap'), 'to-guest': join(dir, 'tx.pcap') };
  const frames = Array.from({ length: 100 }, (_, i) => ({ timeS: i, data: Buffer.alloc(84, i) }));
  writeFileSync(files['from-guest'], pcap(frames));
  writeFileSync(files['to-guest'], pcap(frames));
  const capture = new WireCapture(files, 0, 24 + 10 * 100);
  t.is(capture.read().records.length, 10, 'the header and 10 records of 100 bytes fill the 1024 bytes: nothing of the other file is read');
  capture.markCapped('the wire capture passed its cap');
  const again = capture.read();
  t.is(again.records.length, 10);
  t.is(again.capped, 'the wire capture passed its cap');
});

test('a capture stopped at its cap with no lease in it makes dhcp an error, not a failed case; a lease before the cap still counts', async (t) => {
  const capped = 'the wire capture passed its cap of 16 MiB at 3.0 s and was stopped; later frames are not recorded';
  const check = (records: WireRecord[]) =>
    dhcpCheck.check!({
      system: { run: async () => ({ status: 0, output: holds('10.0.2.15/24'), durationMs: 1 }) },
      hostView: { mac: GUEST, readWire: () => ({ records, capped }) },
      settings,
      settleMs: 0,
      timeoutMs: 10_000,
      nonce: () => 'n',
      now: () => 0,
    });
  await t.throwsAsync(check([]), { message: `the exchange cannot be judged: ${capped}` });
  t.true((await check(records(fullExchange))).passed);
});
