// A reader for the classic pcap files that QEMU's filter-dump writes. The file is written while
// the guest runs, so a record cut short at the end is normal and simply not returned yet.

/** One captured frame: its capture time (seconds since the epoch of the file's clock) and bytes. */
export interface PcapRecord {
  readonly timeS: number;
  readonly data: Buffer;
}

/** What a pcap file holds: the link type (1 = Ethernet) and its complete records. */
export interface PcapFile {
  readonly linkType: number;
  readonly records: readonly PcapRecord[];
  /** Bytes after the last complete record (a record QEMU is still writing, or garbage). */
  readonly trailingBytes: number;
}

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
// A frame larger than this is not something a NIC sent: stop reading rather than trust the length.
const MAX_RECORD_BYTES = 256 * 1024;

/** Parse a pcap file (either byte order, micro- or nanosecond timestamps); throws on a wrong header. */
export function parsePcap(bytes: Buffer): PcapFile {
  if (bytes.length < 24) throw new Error(`not a pcap file: ${bytes.length} bytes, the header alone is 24`);
  const magicLE = bytes.readUInt32LE(0);
  const magicBE = bytes.readUInt32BE(0);
  const littleEndian = magicLE === MAGIC_MICRO || magicLE === MAGIC_NANO;
  if (!littleEndian && magicBE !== MAGIC_MICRO && magicBE !== MAGIC_NANO) {
    throw new Error(`not a pcap file: magic 0x${magicBE.toString(16).padStart(8, '0')}`);
  }
  const u32 = (at: number) => (littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const fractionPerSecond = (littleEndian ? magicLE : magicBE) === MAGIC_NANO ? 1e9 : 1e6;
  const linkType = u32(20) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let at = 24;
  while (at + 16 <= bytes.length) {
    const seconds = u32(at);
    const fraction = u32(at + 4);
    const captured = u32(at + 8);
    if (captured > MAX_RECORD_BYTES || at + 16 + captured > bytes.length) break;
    records.push({ timeS: seconds + fraction / fractionPerSecond, data: bytes.subarray(at + 16, at + 16 + captured) });
    at += 16 + captured;
  }
  return { linkType, records, trailingBytes: bytes.length - at };
}
