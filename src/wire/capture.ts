// The capture QEMU writes for a running machine, one pcap file per direction (filter-dump with
// queue=rx and queue=tx), read as it grows: each file from where the last read stopped, at most
// the capture's cap in all. Times are made relative to QEMU's start.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { PcapReader, type PcapRecord, writePcap } from './pcap.ts';

/** Frames the guest sent (QEMU's netdev receives them), and frames QEMU's side sent to the guest. */
export type WireDirection = 'from-guest' | 'to-guest';

/** A captured frame with the direction its file records: only QEMU's side writes `to-guest` frames. */
export interface WireRecord extends PcapRecord {
  readonly direction: WireDirection;
}

/** What the capture holds so far; `capped` says when and why it stopped short. */
export interface WireRead {
  readonly records: readonly WireRecord[];
  readonly error?: string;
  readonly capped?: string;
}

/** The most both capture files may hold together (16 MiB): past it the capture is stopped. */
export const wireCapBytes = 16 * 1024 * 1024;

/** One direction's file: where the last read stopped, and the records read so far (times as written). */
class DirectionFile {
  offset = 0;
  readonly reader = new PcapReader();
  readonly records: PcapRecord[] = [];
  error: string | undefined;

  constructor(
    readonly path: string,
    readonly direction: WireDirection,
  ) {}

  /** Read what QEMU appended since the last call, at most `budget` bytes; returns the new records. */
  poll(budget: number): PcapRecord[] {
    if (this.error || budget <= 0) return [];
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // QEMU opens the file as it starts: not there yet is no error.
      if (code !== 'ENOENT') this.error = `${this.path}: ${code ?? (error as Error).message}`;
      return [];
    }
    try {
      const size = Math.min(budget, statSync(this.path).size - this.offset);
      if (size <= 0) return [];
      const bytes = Buffer.alloc(size);
      const got = readSync(fd, bytes, 0, size, this.offset);
      this.offset += got;
      const fresh = this.reader.push(bytes.subarray(0, got));
      if (this.reader.linkType !== undefined && this.reader.linkType !== 1) this.error = `${this.path}: link type ${this.reader.linkType}, not Ethernet`;
      this.records.push(...fresh);
      return fresh;
    } catch (error) {
      this.error = `${this.path}: ${(error as Error).message}`;
      return [];
    } finally {
      closeSync(fd);
    }
  }
}

export class WireCapture {
  readonly #files: DirectionFile[];
  readonly #records: WireRecord[] = [];
  #capped: string | undefined;

  /**
   * `files` are the two files QEMU writes; `startedAtMs` is QEMU's start (QEMU 7.2's filter-dump
   * stamps frames with the host's wall clock; a capture stamped from 0 is taken as it is).
   */
  constructor(
    files: Readonly<Record<WireDirection, string>>,
    readonly startedAtMs: number,
    readonly capBytes = wireCapBytes,
  ) {
    this.#files = (Object.keys(files) as WireDirection[]).map((direction) => new DirectionFile(files[direction], direction));
  }

  /** Bytes QEMU has written to both files so far (their size on disk). */
  bytesOnDisk(): number {
    return this.#files.reduce((sum, f) => {
      try {
        return sum + statSync(f.path).size;
      } catch {
        return sum;
      }
    }, 0);
  }

  /** The capture was stopped at its cap: `why` goes into every later read and the report. */
  markCapped(why: string): void {
    this.#capped ??= why;
  }

  get capped(): string | undefined {
    return this.#capped;
  }

  /** Every frame captured so far, both directions in time order, reading only what is new; never more than the cap. */
  read(): WireRead {
    const fresh: WireRecord[] = [];
    for (const file of this.#files) {
      const budget = this.capBytes - this.#files.reduce((sum, f) => sum + f.offset, 0);
      const got = file.poll(budget);
      const origin = (file.records[0]?.timeS ?? 0) > 1e9 ? this.startedAtMs / 1000 : 0;
      for (const r of got) fresh.push({ timeS: r.timeS - origin, data: r.data, direction: file.direction });
    }
    // Both files were read to their end at once, so the new frames all come after the ones before.
    this.#records.push(...fresh.sort((a, b) => a.timeS - b.timeS));
    const error = this.#files.find((f) => f.error)?.error;
    return { records: this.#records, ...(error ? { error } : {}), ...(this.#capped ? { capped: this.#capped } : {}) };
  }

  /** Both directions as one pcap file in time order (for the artifacts), as written by QEMU's clock. */
  merged(): Buffer {
    this.read();
    return writePcap(this.#files.flatMap((f) => f.records).sort((a, b) => a.timeS - b.timeS));
  }
}
