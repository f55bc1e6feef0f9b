// Read a kernel image's header to tell which architecture it was built for, before booting it.
import { closeSync, openSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Architecture of a kernel image from its first bytes, or undefined when the format is not recognised. */
export function kernelArchOfBytes(head: Buffer): string | undefined {
  if (head.length < 64) return undefined;
  // ELF (ppc64le vmlinux, some riscv/s390 builds): e_machine at 18, endianness at 5.
  if (head.readUInt32BE(0) === 0x7f454c46) {
    const little = head[5] === 1;
    const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18);
    const elf: Record<number, string> = { 62: 'x86_64', 183: 'arm64', 22: 's390x', 243: 'riscv64', 21: little ? 'ppc64le' : 'ppc64' };
    return elf[machine];
  }
  // arm64 Image and riscv64 Image: magic at 0x38 (with or without an EFI stub in front).
  if (head.length >= 0x40) {
    const magic = head.subarray(0x38, 0x3c).toString('latin1');
    if (magic === 'ARM\x64') return 'arm64';
    if (magic === 'RSC\x05') return 'riscv64';
  }
  // x86 bzImage: "HdrS" at 0x202; bit 0 of xloadflags (0x236) says it has a 64-bit entry point.
  if (head.length >= 0x238 && head.subarray(0x202, 0x206).toString('latin1') === 'HdrS') {
    return (head.readUInt16LE(0x236) & 1) === 1 ? 'x86_64' : 'i386';
  }
  // EFI zboot (compressed arm64/riscv64 with a PE header): "zimg" at 4; PE machine says the arch.
  if (head.subarray(0, 2).toString('latin1') === 'MZ' && head.length >= 0x40) {
    const pe = head.readUInt32LE(0x3c);
    if (pe + 6 <= head.length && head.subarray(pe, pe + 4).toString('latin1') === 'PE\0\0') {
      const machine = head.readUInt16LE(pe + 4);
      const pes: Record<number, string> = { 0x8664: 'x86_64', 0xaa64: 'arm64', 0x5064: 'riscv64' };
      return pes[machine];
    }
  }
  // s390x: the image starts with an IPL PSW and carries "S390EP" at 0x10008 in its parameter area.
  if (head.length >= 0x1000e && head.subarray(0x10008, 0x1000e).toString('latin1') === 'S390EP') return 's390x';
  return undefined;
}

/** Architecture of the kernel file at `path` (gzip-compressed images are looked into). */
export function kernelArchOfFile(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(0x20000);
    const n = readSync(fd, head, 0, head.length, 0);
    const bytes = head.subarray(0, n);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      // Debian's arm64 vmlinuz is a gzip of Image: inflate just enough of it to read the header.
      try {
        return kernelArchOfBytes(gunzipSync(bytes, { finishFlush: 2 /* Z_SYNC_FLUSH */ }));
      } catch {
        return undefined;
      }
    }
    return kernelArchOfBytes(bytes);
  } finally {
    closeSync(fd);
  }
}
