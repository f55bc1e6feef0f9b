import test from 'ava';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelArchOfBytes, kernelArchOfFile } from '../../src/images/kernel-arch.ts';

function arm64Image(): Buffer {
  const b = Buffer.alloc(0x1000);
  b.write('MZ', 0, 'latin1');
  b.write('ARM\x64', 0x38, 'latin1');
  return b;
}

function bzImage(is64: boolean): Buffer {
  const b = Buffer.alloc(0x1000);
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(is64 ? 1 : 0, 0x236);
  return b;
}

function elf(machine: number, little: boolean): Buffer {
  const b = Buffer.alloc(0x100);
  b.writeUInt32BE(0x7f454c46, 0);
  b[5] = little ? 1 : 2;
  if (little) b.writeUInt16LE(machine, 18);
  else b.writeUInt16BE(machine, 18);
  return b;
}

test('an x86_64 bzImage is recognised by its HdrS header and 64-bit entry flag', (t) => {
  t.is(kernelArchOfBytes(bzImage(true)), 'x86_64');
  t.is(kernelArchOfBytes(bzImage(false)), 'i386');
});

test('an arm64 Image is recognised, also inside gzip as Debian ships it', (t) => {
  t.is(kernelArchOfBytes(arm64Image()), 'arm64');
  const dir = mkdtempSync(join(tmpdir(), 'kt-karch-'));
  writeFileSync(join(dir, 'vmlinuz'), gzipSync(Buffer.concat([arm64Image(), Buffer.alloc(100_000)])));
  t.is(kernelArchOfFile(join(dir, 'vmlinuz')), 'arm64');
});

test('ELF kernels give their machine and endianness', (t) => {
  t.is(kernelArchOfBytes(elf(21, true)), 'ppc64le');
  t.is(kernelArchOfBytes(elf(21, false)), 'ppc64');
  t.is(kernelArchOfBytes(elf(243, true)), 'riscv64');
  t.is(kernelArchOfBytes(elf(22, false)), 's390x');
});

test('an s390x image is recognised by its S390EP parameter area', (t) => {
  const b = Buffer.alloc(0x10100);
  b.write('S390EP', 0x10008, 'latin1');
  t.is(kernelArchOfBytes(b), 's390x');
});

test('unknown bytes give no architecture rather than a guess', (t) => {
  t.is(kernelArchOfBytes(Buffer.alloc(4096, 0x41)), undefined);
  t.is(kernelArchOfBytes(Buffer.alloc(10)), undefined);
});
