// Directions for frames of a single-file capture (a recorded fixture, the merged network.pcap
// artifact): a frame from `guestMac` went from the guest, any other to it. Only for captures known
// to be honest; kittest itself takes the direction from the file QEMU wrote the frame into.
import type { WireRecord } from '../../src/wire/capture.ts';
import type { PcapRecord } from '../../src/wire/pcap.ts';

export function bySource(records: readonly PcapRecord[], guestMac: string): WireRecord[] {
  const mac = Buffer.from(guestMac.split(':').map((x) => Number.parseInt(x, 16)));
  return records.map((r) => ({ ...r, direction: r.data.subarray(6, 12).equals(mac) ? 'from-guest' : 'to-guest' }));
}
