import test from 'ava';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.ts';
import { ConfigError, UsageError } from '../../src/errors.ts';
import { findTarget, listTargets } from '../../src/config/targets.ts';

/** A copy of targets/ with one file edited. */
function targetsWith(name: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kt-targets-'));
  for (const f of readdirSync(join(projectRoot, 'targets')).filter((f) => f.endsWith('.yml'))) copyFileSync(join(projectRoot, 'targets', f), join(dir, f));
  writeFileSync(join(dir, `${name}.yml`), edit(readFileSync(join(projectRoot, 'targets', `${name}.yml`), 'utf8')));
  return dir;
}

test('findTarget takes a target name, an alias or a Debian architecture', (t) => {
  t.is(findTarget('x86_64').name, 'x86_64');
  t.is(findTarget('aarch64').name, 'arm64');
  t.is(findTarget('ppc64el').name, 'ppc64le');
  t.is(findTarget('amd64').debianArch, 'amd64');
});

test('findTarget refuses an unknown name in one line listing the targets', (t) => {
  const error = t.throws(() => findTarget('vax'), { instanceOf: UsageError });
  t.is(error?.message, 'unknown architecture "vax" (known: arm64, ppc64le, riscv64, s390x, x86_64)');
});

test('the image builder reads targets through the validated loader, so an unknown key is a file:line error', (t) => {
  const dir = targetsWith('x86_64', (text) => text.replace('  smp: 1\n', '  smp: 1\n  turbo: true\n'));
  const error = t.throws(() => listTargets(dir), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /x86_64\.yml:\d+: unknown key "qemu\.turbo"/);
});
