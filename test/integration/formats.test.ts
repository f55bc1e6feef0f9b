// Every LinuxKit output format, made from the reference image with Debian tools, boots on each
// architecture where it applies and passes every conformance case; kittest says which format it found.
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureImage } from '../../src/images/builder.ts';
import { referenceDefinition } from '../../src/images/definition.ts';
import { ensureFormat, formatsFor } from '../../src/images/formats/index.ts';
import type { Report } from '../../src/report/model.ts';
import { kittest } from '../helpers/cli.ts';
import { limiter } from '../helpers/limit.ts';

const two = limiter(2);
// Builds one at a time: they share the image cache, the apt lists and two cores with the guests.
const oneBuild = limiter(1);

/** What the start line says for each format (kittest names the format it detected). */
const described: Record<string, RegExp> = {
  'kernel+squashfs': /kernel\+squashfs \(root on a virtio disk, with a module loader initrd\)/,
  'kernel+erofs': /kernel\+erofs \(root on a virtio disk, with a module loader initrd\)/,
  'iso-bios': /iso-bios \(BIOS boot from a CD\)/,
  'iso-efi': /iso-efi \(UEFI boot from a CD\)/,
  'raw-bios': /raw-bios \(BIOS boot from a raw disk\)/,
  'raw-efi': /raw-efi \(UEFI boot from a raw disk\)/,
  'qcow2-bios': /qcow2-bios \(BIOS boot from a qcow2 disk\)/,
  'qcow2-efi': /qcow2-efi \(UEFI boot from a qcow2 disk\)/,
};

/** The reference image in `format` for `target` (built once, then from the cache). */
async function formatted(target: string, format: Parameters<typeof ensureFormat>[1]): Promise<string> {
  return oneBuild(async () => (await ensureFormat(await ensureImage(referenceDefinition, target), format)).path);
}

// kernel+initrd is covered on every target by conformance.test.ts; here the other formats,
// on x86_64 (all), arm64 (kernel+squashfs/erofs and the EFI ones) and s390x (kernel+squashfs/erofs).
for (const target of ['x86_64', 'arm64', 's390x']) {
  for (const format of formatsFor(target).filter((f) => f !== 'kernel+initrd')) {
    test(`${format} on ${target}: detected as such, and every case passes`, async (t) => {
      const path = await formatted(target, format);
      const json = join(mkdtempSync(join(tmpdir(), 'kt-formats-')), 'r.json');
      const r = await two(() => kittest(['run', '--arch', target, '--image', path, '--json', json]));
      t.is(r.exitCode, 0, `${String(r.stdout)}\n${String(r.stderr)}`);
      t.regex(String(r.stdout), described[format]!);
      const [run] = (JSON.parse(readFileSync(json, 'utf8')) as Report).runs;
      t.is(run!.image.format, format);
      t.is(run!.status, 'passed');
      for (const c of run!.cases) t.is(c.status, 'passed', `${c.id}: ${c.message}`);
    });
  }
}

test('an arm64 UEFI disk on x86_64 fails the boot case at once with the firmware giving up', async (t) => {
  const path = await formatted('arm64', 'qcow2-efi');
  const json = join(mkdtempSync(join(tmpdir(), 'kt-formats-')), 'r.json');
  const r = await two(() => kittest(['run', '--arch', 'x86_64', '--image', path, '--json', json]));
  t.is(r.exitCode, 1, String(r.stderr));
  const [run] = (JSON.parse(readFileSync(json, 'utf8')) as Report).runs;
  t.is(run!.cases[0]!.status, 'failed');
  t.regex(run!.cases[0]!.message, /No bootable option or device|UEFI Interactive Shell|BdsDxe/);
  // Long before the boot deadline (120 s on x86_64): the firmware's own words end the run.
  t.true(run!.durationMs < 90_000, `took ${run!.durationMs} ms`);
});
