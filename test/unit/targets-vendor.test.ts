// Vendor targets: --targets folders, `extends` a built-in target, unique names, file:line errors.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllTargets } from '../../src/config/targets.ts';
import { ConfigError, UsageError } from '../../src/errors.ts';
import { planImages } from '../../src/images/plan.ts';

const made: string[] = [];
test.after.always(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-vendor-targets-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('a target that extends a built-in one takes its fields, merges objects, and boots its reference image', (t) => {
  const dir = folder({ 'board.yml': 'extends: x86_64\nname: board\ndescription: a board\nqemu:\n  machine: pc\n  smp: 2\n' });
  const all = loadAllTargets([dir]);
  const board = all.find((t) => t.name === 'board')!;
  const x86 = all.find((t) => t.name === 'x86_64')!;
  t.is(board.qemu.machine, 'pc');
  t.is(board.qemu.smp, 2);
  t.is(board.qemu.binary, x86.qemu.binary, 'fields it does not name come from x86_64');
  t.deepEqual(board.console, x86.console);
  t.is(board.kernelArch, 'x86_64', 'the kernel architecture comes with the machine it extends');
  t.is(board.imageTarget, 'x86_64');
  t.deepEqual(board.aliases, [], 'aliases are not inherited (they would clash)');
  t.is(all.indexOf(board), all.length - 1, 'vendor targets come after the built-in ones');
});

test('an unknown base, a bad field or an unknown key in a vendor target is a file:line error', (t) => {
  const unknown = folder({ 'a.yml': 'name: a\nextends: vax\n' });
  t.throws(() => loadAllTargets([unknown]), { instanceOf: ConfigError, message: /a\.yml:2: extends: no built-in target "vax" \(known: arm64, .*x86_64\)/ });
  const bad = folder({ 'b.yml': 'extends: x86_64\nname: b\nqemu:\n  smp: 0\n' });
  t.throws(() => loadAllTargets([bad]), { instanceOf: ConfigError, message: /b\.yml:4: qemu\.smp must be >= 1/ });
  const typo = folder({ 'c.yml': 'extends: x86_64\nname: c\nqemu:\n  machin: pc\n' });
  t.throws(() => loadAllTargets([typo]), { instanceOf: ConfigError, message: /c\.yml:4: unknown key "qemu\.machin"/ });
  // What a built-in target may not do, a variant may not either.
  const unsafe = folder({ 'd.yml': 'extends: x86_64\nname: d\nqemu:\n  extraArgs: [-netdev, "user,id=x,hostfwd=tcp::2222-:22"]\n' });
  t.throws(() => loadAllTargets([unsafe]), { instanceOf: ConfigError, message: /d\.yml:\d+: .*qemu\.unsafe/ });
  // A device in JSON form is read like its key=value form; firmware must come from the firmware packages.
  const json = folder({ 'e.yml': 'extends: x86_64\nname: e\nqemu:\n  extraArgs:\n    - -device\n    - \'{"driver":"loader","file":"/etc/shadow","addr":4096}\'\n' });
  t.throws(() => loadAllTargets([json]), { instanceOf: ConfigError, message: /e\.yml:6: qemu\.extraArgs\[0\] "-device" .* uses device loader, which reaches the host by itself; a target may do that only with qemu\.unsafe/ });
  const vars = folder({ 'f.yml': 'extends: x86_64\nname: f\nefi:\n  vars: /root/.ssh/id_rsa\n' });
  t.throws(() => loadAllTargets([vars]), { instanceOf: ConfigError, message: /f\.yml:4: efi\.vars "\/root\/\.ssh\/id_rsa" is not a file of the Debian firmware packages/ });
  const allowed = folder({ 'g.yml': 'extends: x86_64\nname: g\nefi:\n  vars: /srv/vars.fd\nqemu:\n  unsafe: { reason: own firmware build }\n' });
  t.is(loadAllTargets([allowed]).find((x) => x.name === 'g')?.efi?.vars, '/srv/vars.fd', 'qemu.unsafe lifts the check');
});

test('a name or alias used twice is exit 2 naming both files', (t) => {
  const dir = folder({ 'mine.yml': 'extends: x86_64\nname: x86_64\ndescription: mine\n' });
  t.throws(() => loadAllTargets([dir]), { instanceOf: ConfigError, message: /mine\.yml:2: target name or alias "x86_64" is also used by targets\/x86_64\.yml/ });
  const alias = folder({ 'a.yml': 'extends: x86_64\nname: a\naliases: [amd64]\n' });
  t.throws(() => loadAllTargets([alias]), { instanceOf: ConfigError, message: /target name or alias "amd64" is also used by targets\/x86_64\.yml/ });
});

test('a --targets folder must exist and hold target files', (t) => {
  t.throws(() => loadAllTargets(['/nonexistent/kt']), { instanceOf: UsageError, message: '--targets /nonexistent/kt: no such folder' });
  t.throws(() => loadAllTargets([folder({ 'README.md': '' })]), { instanceOf: UsageError, message: /no target files/ });
});

test('a vendor target that extends nothing has no reference image: --image is asked for', async (t) => {
  const whole = (await import('node:fs')).readFileSync(join(process.cwd(), 'targets', 'x86_64.yml'), 'utf8').replace(/^name: x86_64$/m, 'name: own').replace(/^aliases:.*$/m, '');
  const dir = folder({ 'own.yml': whole });
  const all = loadAllTargets([dir]);
  const own = all.find((t) => t.name === 'own')!;
  await t.throwsAsync(planImages([own], all, {}, true), { instanceOf: UsageError, message: /target own \(.*own\.yml\) has no reference image: .*give --image, or make it extend a built-in target/ });
});
