import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTargets } from '../../src/config/targets.ts';
import { UsageError } from '../../src/errors.ts';
import { describeBootFiles, detectBootFiles, formatsAt, mediumFormatOfFile } from '../../src/images/boot-files.ts';
import { judgeMedium } from '../../src/images/check-medium.ts';
import { requireFormat } from '../../src/images/plan.ts';

function folder(t: { teardown: (f: () => void) => void }, files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kittest-bootfiles-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

test('linuxkit build names tell each format', (t) => {
  t.is(mediumFormatOfFile('/x/lk.iso'), 'iso-bios');
  t.is(mediumFormatOfFile('/x/lk-efi.iso'), 'iso-efi');
  t.is(mediumFormatOfFile('/x/lk-bios.img'), 'raw-bios');
  t.is(mediumFormatOfFile('/x/lk-efi.img'), 'raw-efi');
  t.is(mediumFormatOfFile('/x/lk.qcow2'), 'qcow2-bios');
  t.is(mediumFormatOfFile('/x/lk-efi.qcow2'), 'qcow2-efi');
  t.is(mediumFormatOfFile('/x/lk-initrd.img'), undefined);
});

test('a prefix with kernel and squashfs is kernel+squashfs, and a loader initrd beside it is used', (t) => {
  const dir = folder(t, { 'lk-kernel': 'k', 'lk-squashfs.img': 'hsqs', 'lk-initrd.img': 'i', 'lk-cmdline': 'panic=-1\n' });
  const image = detectBootFiles(join(dir, 'lk'));
  t.is(image.format, 'kernel+squashfs');
  t.is(image.rootDisk, join(dir, 'lk-squashfs.img'));
  t.is(image.initrd, join(dir, 'lk-initrd.img'));
  t.is(image.cmdline, 'panic=-1');
  t.regex(describeBootFiles(image), /root on a virtio disk, with a module loader initrd/);
});

test('an image file is detected by its name, and --format must agree', (t) => {
  const dir = folder(t, { 'lk-efi.qcow2': 'QFI' });
  const image = detectBootFiles(join(dir, 'lk-efi.qcow2'));
  t.is(image.format, 'qcow2-efi');
  t.is(image.firmware, 'efi');
  t.deepEqual(image.bootMedium, { path: join(dir, 'lk-efi.qcow2'), media: 'disk', driver: 'qcow2' });
  const error = t.throws(() => detectBootFiles(join(dir, 'lk-efi.qcow2'), 'iso-bios'), { instanceOf: UsageError });
  t.regex(error!.message, /is a qcow2-efi image by its name, not iso-bios/);
});

test('several outputs at one prefix need --format, which picks one', (t) => {
  const dir = folder(t, { 'lk-kernel': 'k', 'lk-initrd.img': 'i', 'lk.iso': 'iso', 'lk-efi.iso': 'iso' });
  const prefix = join(dir, 'lk');
  t.deepEqual(formatsAt(prefix), ['kernel+initrd', 'iso-efi', 'iso-bios']);
  const error = t.throws(() => detectBootFiles(prefix), { instanceOf: UsageError });
  t.is(error!.message, `several images at ${prefix} (kernel+initrd, iso-efi, iso-bios): pick one with --format`);
  t.is(detectBootFiles(prefix, 'iso-bios').bootMedium?.path, `${prefix}.iso`);
  t.throws(() => detectBootFiles(prefix, 'raw-efi'), { message: /no raw-efi image at .* \(found: kernel\+initrd, iso-efi, iso-bios\)/ });
});

test('nothing at a prefix names what was looked for; a file of unknown kind is refused', (t) => {
  const dir = folder(t, { 'disk.vmdk': 'x' });
  t.throws(() => detectBootFiles(join(dir, 'none')), { instanceOf: UsageError, message: /no LinuxKit image at .*none: none of .*none-kernel, .*none\.iso/ });
  t.throws(() => detectBootFiles(join(dir, 'disk.vmdk')), { instanceOf: UsageError, message: /cannot tell the format of .*disk\.vmdk/ });
});

test('an empty image file is refused in one line', (t) => {
  const dir = folder(t, { 'lk-bios.img': '' });
  t.throws(() => detectBootFiles(join(dir, 'lk-bios.img')), { instanceOf: UsageError, message: /image file .*lk-bios\.img is empty \(raw-bios\)/ });
});

test('a format the target cannot boot is refused naming both (an ISO on s390x)', (t) => {
  const s390x = loadTargets().find((x) => x.name === 's390x')!;
  const iso = detectBootFiles(join(folder(t, { 'lk.iso': 'x' }), 'lk.iso'));
  const error = t.throws(() => requireFormat(s390x, iso), { instanceOf: UsageError });
  t.regex(error!.message, /^iso-bios images cannot boot on s390x \(.*lk\.iso\); s390x boots kernel\+initrd, kernel\+squashfs, kernel\+erofs$/);
  const arm64 = loadTargets().find((x) => x.name === 'arm64')!;
  t.throws(() => requireFormat(arm64, iso), { message: /iso-bios images cannot boot on arm64/ });
  t.notThrows(() => requireFormat(loadTargets().find((x) => x.name === 'x86_64')!, iso));
});

test('magic bytes catch a file that is not what its name says', (t) => {
  const zero = Buffer.alloc(512);
  const mbr = Buffer.alloc(512);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const cd = Buffer.from('\x01CD001\x01\x00', 'latin1');
  t.is(judgeMedium('raw', 1 << 20, mbr, zero, zero), undefined);
  t.regex(judgeMedium('raw', 1 << 20, zero, zero, zero)!, /no boot record/);
  t.regex(judgeMedium('raw', 1000, mbr, zero, zero)!, /too small/);
  t.is(judgeMedium('iso', 1 << 20, zero, cd, zero), undefined);
  t.regex(judgeMedium('iso', 1 << 20, zero, zero, zero)!, /no ISO 9660 volume descriptor/);
  t.is(judgeMedium('qcow2', 1 << 20, Buffer.from([0x51, 0x46, 0x49, 0xfb]), zero, zero), undefined);
  t.regex(judgeMedium('qcow2', 1 << 20, mbr, zero, zero)!, /no qcow2 header/);
  t.is(judgeMedium('squashfs', 1 << 20, Buffer.from('hsqs'), zero, zero), undefined);
  t.regex(judgeMedium('erofs', 1 << 20, zero, zero, zero)!, /not an erofs image/);
  t.is(judgeMedium('erofs', 1 << 20, zero, zero, Buffer.from([0xe2, 0xe1, 0xf5, 0xe0])), undefined);
});
