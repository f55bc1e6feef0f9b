// Read the capture QEMU is writing for a running machine, with times made relative to QEMU's start.
import { readFileSync } from 'node:fs';
import { parsePcap, type PcapRecord } from './pcap.ts';

/**
 * The frames captured so far, with times in seconds since QEMU started. QEMU 7.2's filter-dump
 * stamps frames with the host's wall clock (seen in recorded captures), made relative to
 * `startedAtMs`; a capture stamped from 0 (a virtual clock) is taken as it is.
 */
export function readCapture(path: string, startedAtMs: number): { records: PcapRecord[]; error?: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return { records: [], error: `${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  if (bytes.length === 0) return { records: [] };
  try {
    const file = parsePcap(bytes);
    if (file.linkType !== 1) return { records: [], error: `${path}: link type ${file.linkType}, not Ethernet` };
    const wallClock = (file.records[0]?.timeS ?? 0) > 1e9;
    const origin = wallClock ? startedAtMs / 1000 : 0;
    return { records: file.records.map((r) => ({ timeS: r.timeS - origin, data: r.data })) };
  } catch (error) {
    return { records: [], error: (error as Error).message };
  }
}
