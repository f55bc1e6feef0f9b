import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, symlinkSync, chmodSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S_IFCHR, writeCpioFromTree } from '../../src/images/cpio.ts';
import { bootFormats } from '../../src/config/boot-formats.ts';
import { formatsFor, outputFiles, parseFormats } from '../../src/images/formats/applicable.ts';
import { readNewc, unpackMembers } from '../../src/images/formats/cpio-read.ts';
import { loadOrder, parseSoftdeps } from '../../src/images/formats/module-order.ts';
import { pseudoDefinitions } from '../../src/images/formats/root-image.ts';
import { hostSuite } from '../../src/images/formats/grub.ts';
import { UsageError } from '../../src/errors.ts';

test('formats per target: all nine on x86_64, EFI and kernel ones on arm64, kernel ones elsewhere', (t) => {
  t.deepEqual(formatsFor('x86_64'), [...bootFormats]);
  t.deepEqual(formatsFor('arm64'), ['kernel+initrd', 'kernel+squashfs', 'kernel+erofs', 'iso-efi', 'raw-efi', 'qcow2-efi']);
  for (const target of ['s390x', 'ppc64le', 'riscv64']) t.deepEqual(formatsFor(target), ['kernel+initrd', 'kernel+squashfs', 'kernel+erofs']);
});

test('--format parsing: lists, all, and one-line usage errors for unknown or impossible formats', (t) => {
  t.deepEqual(parseFormats('raw-bios, iso-efi,raw-bios', 'x86_64'), ['raw-bios', 'iso-efi']);
  t.deepEqual(parseFormats('all', 's390x'), ['kernel+initrd', 'kernel+squashfs', 'kernel+erofs']);
  const unknown = t.throws(() => parseFormats('isobios', 'x86_64'), { instanceOf: UsageError });
  t.regex(unknown!.message, /^unknown format "isobios" \(known: .*iso-bios.*\)$/);
  const impossible = t.throws(() => parseFormats('iso-bios', 's390x'), { instanceOf: UsageError });
  t.is(impossible!.message, 'format iso-bios cannot be made for s390x (possible: kernel+initrd, kernel+squashfs, kernel+erofs)');
  t.throws(() => parseFormats(',', 'x86_64'), { instanceOf: UsageError });
  t.false(unknown!.message.includes('\n'));
});

test('output files are named as linuxkit build names them', (t) => {
  t.deepEqual(outputFiles('kernel+squashfs', 'r'), ['r-kernel', 'r-initrd.img', 'r-squashfs.img', 'r-cmdline']);
  t.deepEqual(outputFiles('kernel+erofs', 'r'), ['r-kernel', 'r-initrd.img', 'r-erofs.img', 'r-cmdline']);
  t.deepEqual(
    (['iso-bios', 'iso-efi', 'raw-bios', 'raw-efi', 'qcow2-bios', 'qcow2-efi'] as const).map((f) => outputFiles(f, 'r')[0]),
    ['r.iso', 'r-efi.iso', 'r-bios.img', 'r-efi.img', 'r.qcow2', 'r-efi.qcow2'],
  );
});

test('the cpio reader gives back what the writer archived: modes, symlinks, hard links, device nodes', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kittest-fmt-cpio-'));
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'locked'));
  writeFileSync(join(root, 'usr/bin/tool'), 'binary\n');
  chmodSync(join(root, 'usr/bin/tool'), 0o755);
  writeFileSync(join(root, 'locked/secret'), 'x'.repeat(4097));
  chmodSync(join(root, 'locked'), 0o700);
  writeFileSync(join(root, 'a'), 'same');
  writeFileSync(join(root, 'b'), 'same');
  symlinkSync('usr/bin', join(root, 'bin'));
  const archive = join(mkdtempSync(join(tmpdir(), 'kittest-fmt-cpio-a-')), 'x.cpio');
  writeCpioFromTree(root, archive, [{ path: 'dev/console', mode: S_IFCHR | 0o600, rdev: { major: 5, minor: 1 } }]);

  const members = readNewc(readFileSync(archive));
  const out = mkdtempSync(join(tmpdir(), 'kittest-fmt-cpio-x-'));
  const devices = unpackMembers(members, out);
  t.is(readFileSync(join(out, 'usr/bin/tool'), 'utf8'), 'binary\n');
  t.is(statSync(join(out, 'usr/bin/tool')).mode & 0o7777, 0o755);
  t.is(statSync(join(out, 'locked')).mode & 0o7777, 0o700);
  t.is(readFileSync(join(out, 'locked/secret'), 'utf8'), 'x'.repeat(4097));
  t.is(readlinkSync(join(out, 'bin')), 'usr/bin');
  t.is(readFileSync(join(out, 'b'), 'utf8'), 'same');
  t.is(statSync(join(out, 'a')).ino, statSync(join(out, 'b')).ino);
  t.is(devices.length, 1);
  t.is(devices[0]!.path, 'dev/console');
  t.deepEqual(devices[0]!.rdev, { major: 5, minor: 1 });
  t.false(lstatSync(join(out, 'dev')).isFile());
  t.deepEqual(pseudoDefinitions(devices), ['dev/console c 600 0 0 5 1']);
});

test('the cpio reader names damage in one line', (t) => {
  t.throws(() => readNewc(Buffer.from('garbage'.repeat(20))), { message: /bad magic/ });
  const root = mkdtempSync(join(tmpdir(), 'kittest-fmt-cpio-t-'));
  writeFileSync(join(root, 'f'), 'y'.repeat(1000));
  const archive = join(root, '..', `${root.split('/').pop()}.cpio`);
  writeCpioFromTree(root, archive);
  t.throws(() => readNewc(readFileSync(archive).subarray(0, 600)), { message: /truncated cpio archive/ });
});

const dep = [
  'kernel/fs/squashfs/squashfs.ko:',
  'kernel/fs/erofs/erofs.ko: kernel/lib/libcrc32c.ko',
  'kernel/lib/libcrc32c.ko:',
  'kernel/drivers/block/virtio_blk.ko:',
  'kernel/crypto/crc32c_generic.ko:',
].join('\n');

test('loader modules come dependencies first, soft dependencies before the module that wants them', (t) => {
  const set = { dep, softdep: 'softdep libcrc32c pre: crc32c\n', builtin: ['kernel/drivers/virtio/virtio_pci.ko'] };
  t.deepEqual(loadOrder(set, ['virtio_blk', 'erofs']).order, ['kernel/drivers/block/virtio_blk.ko', 'kernel/crypto/crc32c_generic.ko', 'kernel/lib/libcrc32c.ko', 'kernel/fs/erofs/erofs.ko']);
  t.deepEqual(loadOrder(set, ['virtio_pci', 'squashfs']).order, ['kernel/fs/squashfs/squashfs.ko']);
});

test('built-in modules need nothing; missing modules and soft dependencies are reported apart', (t) => {
  const noCrc = { dep: dep.replace('kernel/crypto/crc32c_generic.ko:', ''), softdep: 'softdep libcrc32c pre: crc32c', builtin: [] };
  t.deepEqual(loadOrder(noCrc, ['erofs']), { order: ['kernel/lib/libcrc32c.ko', 'kernel/fs/erofs/erofs.ko'], missing: [], softMissing: ['crc32c_generic'] });
  const builtinCrc = { ...noCrc, builtin: ['kernel/crypto/crc32c_generic.ko'] };
  t.deepEqual(loadOrder(builtinCrc, ['erofs']).softMissing, []);
  t.deepEqual(loadOrder(noCrc, ['virtio_blk', 'nosuch']).missing, ['nosuch']);
  t.deepEqual([...parseSoftdeps('# c\nsoftdep a-b pre: x post: y z\n')], [['a_b', ['x']]]);
});

test('the GRUB arm64 modules come from the host release (they must match its grub-mkimage)', (t) => {
  t.is(hostSuite('NAME="Debian"\nVERSION_CODENAME=bookworm\n'), 'bookworm');
  t.is(hostSuite('VERSION_CODENAME="trixie"'), 'trixie');
  t.is(hostSuite('NAME=x'), undefined);
});
