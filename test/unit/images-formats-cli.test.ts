import test from 'ava';
import { kittest } from '../helpers/cli.ts';

// Checked before any image is built, so these need no cache and no network.
const bad: [string, string[], RegExp][] = [
  ['an unknown format', ['build', '--arch', 'x86_64', '--format', 'vhd'], /^kittest: unknown format "vhd" \(known: kernel\+initrd, .*qcow2-efi, all\)$/],
  ['a BIOS ISO on s390x', ['build', '--arch', 's390x', '--format', 'iso-bios'], /^kittest: format iso-bios cannot be made for s390x \(possible: kernel\+initrd, kernel\+squashfs, kernel\+erofs\)$/],
  ['a BIOS disk on arm64 among other arches', ['build', '--arch', 'x86_64,arm64', '--format', 'raw-efi,raw-bios'], /^kittest: format raw-bios cannot be made for arm64 /],
];
for (const [what, args, message] of bad) {
  test(`build --format: ${what} is a one-line error, exit 2`, async (t) => {
    const r = await kittest(args);
    t.is(r.exitCode, 2, String(r.stderr));
    t.regex(String(r.stderr).trim(), message);
    t.is(String(r.stderr).trim().split('\n').length, 1);
    t.is(String(r.stdout), '');
  });
}

test('build --help documents --format', async (t) => {
  const r = await kittest(['build', '--help']);
  t.is(r.exitCode, 0);
  t.regex(String(r.stdout), /--format\s+.*kernel\+squashfs.*qcow2-efi, or all/);
});
