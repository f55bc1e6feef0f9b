// A reader for the classic pcap files that QEMU's filter-dump writes. The file is written while
// the guest runs, so a record cut short at the end is normal and simply not returned yet.

/** One captured frame: its capture time (seconds since the epoch of the file's clock) and bytes. */
export interface PcapRecord {
  readonly timeS: number;
  readonly data: Buffer;
}

/** What a pcap file holds: the link type (1 = Ethernet) and its complete records. */
interface PcapFile {
  readonly linkType: number;
  readonly records: readonly PcapRecord[];
  /** Bytes after the last complete record (a record QEMU is still writing, or garbage). */
  readonly trailingBytes: number;
}

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
// A frame larger than this is not something a NIC sent: stop reading rather than trust the length.
const MAX_RECORD_BYTES = 256 * 1024;

/**
 * A pcap file read as it grows: give it each new piece of the file with `push`, get back the
 * records that piece completed. Bytes of a record not yet whole wait for the next piece.
 */
export class PcapReader {
  /** Link type from the header (1 = Ethernet), once 24 bytes have come. */
  linkType: number | undefined;
  #pending: Buffer = Buffer.alloc(0);
  #littleEndian = true;
  #fractionPerSecond = 1e6;
  #broken = false;

  /** Bytes kept after the last complete record. */
  get trailingBytes(): number {
    return this.#pending.length;
  }

  /** The records completed by `bytes` (the file's next bytes); throws on a wrong header. */
  push(bytes: Buffer): PcapRecord[] {
    // A record longer than any frame means garbage: nothing after it can be trusted.
    if (this.#broken) return [];
    const buf = this.#pending.length ? Buffer.concat([this.#pending, bytes]) : bytes;
    let at = 0;
    if (this.linkType === undefined) {
      if (buf.length < 24) {
        this.#pending = buf;
        return [];
      }
      this.#header(buf);
      at = 24;
    }
    const u32 = (i: number) => (this.#littleEndian ? buf.readUInt32LE(i) : buf.readUInt32BE(i));
    const records: PcapRecord[] = [];
    while (at + 16 <= buf.length) {
      const captured = u32(at + 8);
      if (captured > MAX_RECORD_BYTES) {
        this.#broken = true;
        break;
      }
      if (at + 16 + captured > buf.length) break;
      records.push({ timeS: u32(at) + u32(at + 4) / this.#fractionPerSecond, data: buf.subarray(at + 16, at + 16 + captured) });
      at += 16 + captured;
    }
    this.#pending = buf.subarray(at);
    return records;
  }

  #header(buf: Buffer): void {
    const magicLE = buf.readUInt32LE(0);
    const magicBE = buf.readUInt32BE(0);
    this.#littleEndian = magicLE === MAGIC_MICRO || magicLE === MAGIC_NANO;
    if (!this.#littleEndian && magicBE !== MAGIC_MICRO && magicBE !== MAGIC_NANO) {
      throw new Error(`not a pcap file: magic 0x${magicBE.toString(16).padStart(8, '0')}`);
    }
    this.#fractionPerSecond = (this.#littleEndian ? magicLE : magicBE) === MAGIC_NANO ? 1e9 : 1e6;
    this.linkType = (this.#littleEndian ? buf.readUInt32LE(20) : buf.readUInt32BE(20)) & 0x0fffffff;
  }
}

/** Parse a whole pcap file (either byte order, micro- or nanosecond timestamps); throws on a wrong header. */
export function parsePcap(bytes: Buffer): PcapFile {
  if (bytes.length < 24) throw new Error(`not a pcap file: ${bytes.length} bytes, the header alone is 24`);
  const reader = new PcapReader();
  const records = reader.push(bytes);
  return { linkType: reader.linkType!, records, trailingBytes: reader.trailingBytes };
}

/** A little-endian, microsecond, Ethernet pcap file of `records` (the capture artifact). */
export function writePcap(records: readonly PcapRecord[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(MAGIC_MICRO, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const parts: Buffer[] = [header];
  for (const r of records) {
    const head = Buffer.alloc(16);
    const seconds = Math.floor(r.timeS);
    head.writeUInt32LE(seconds, 0);
    head.writeUInt32LE(Math.min(999_999, Math.round((r.timeS - seconds) * 1e6)), 4);
    head.writeUInt32LE(r.data.length, 8);
    head.writeUInt32LE(r.data.length, 12);
    parts.push(head, r.data);
  }
  return Buffer.concat(parts);
}
