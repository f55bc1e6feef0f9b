// Vendor case folders (--cases) and profiles (--profile): loading, and the one-line exit-2 errors.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllCases } from '../../src/cases/case-folders.ts';
import { projectRoot } from '../../src/config/paths.ts';
import { builtInProfiles, loadProfile, profileCases } from '../../src/cases/profiles.ts';
import { ConfigError, UsageError } from '../../src/errors.ts';
import { kittest } from '../helpers/cli.ts';
import { profileFile, vendorFolder } from '../helpers/vendor-cases.ts';

const oneLine = (text: string) => text.trim().split('\n').length === 1;
const builtInIds = ['boot', 'containerd', 'runc', 'dhcp', 'rng', 'rootfs-immutable', 'services-isolated', 'services-declared'];

test('a --cases folder adds its cases to the built-ins, in run order', (t) => {
  const ids = loadAllCases([vendorFolder(['acme-rng'])]).map((c) => c.id);
  t.deepEqual(ids.filter((id) => id !== 'acme-rng'), builtInIds);
  t.true(ids.includes('acme-rng'));
});

test('the same folder given twice, or the built-in folder, is read once', (t) => {
  const dir = vendorFolder(['acme-rng']);
  t.is(loadAllCases([dir, `${dir}/`, join(projectRoot, 'cases')]).filter((c) => c.id === 'acme-rng').length, 1);
});

test('a missing --cases folder, a file, and a folder without case files are usage errors in one line', (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'kt-empty-'));
  writeFileSync(join(empty, 'README.md'), 'no cases here');
  t.throws(() => loadAllCases([join(empty, 'nope')]), { instanceOf: UsageError, message: /^--cases .*nope: no such folder$/ });
  t.throws(() => loadAllCases([join(empty, 'README.md')]), { instanceOf: UsageError, message: /README\.md: not a folder$/ });
  t.throws(() => loadAllCases([empty]), { instanceOf: UsageError, message: /^--cases .*: no case files \(\*\.yml, \*\.yaml\) in it$/ });
});

test('kittest list cases --cases DIR shows the vendor case beside the built-ins', async (t) => {
  const r = await kittest(['list', 'cases', '--cases', vendorFolder(['acme-rng'])]);
  t.is(r.exitCode, 0, String(r.stderr));
  t.regex(String(r.stdout), /^acme-rng\s+Vendor case acme-rng$/m);
  t.regex(String(r.stdout), /^services-isolated\s/m);
});

test('a case id declared in two folders is exit 2, naming both files with the line of each id', async (t) => {
  const a = vendorFolder(['acme-rng']);
  const b = vendorFolder(['acme-rng']);
  const r = await kittest(['list', 'cases', '--cases', a, '--cases', b]);
  t.is(r.exitCode, 2);
  t.true(oneLine(String(r.stderr)), String(r.stderr));
  t.true(String(r.stderr).includes(`${join(b, 'acme-rng.yml')}:2: duplicate case id "acme-rng", also declared at ${join(a, 'acme-rng.yml')}:2`), String(r.stderr));
});

test('a vendor case reusing a built-in id is exit 2 for run too, naming cases/ and the vendor file', async (t) => {
  const dir = vendorFolder(['dhcp']);
  const r = await kittest(['run', '--arch', 'x86_64', '--image', '/nonexistent/img', '--cases', dir]);
  t.is(r.exitCode, 2);
  t.true(oneLine(String(r.stderr)));
  t.regex(String(r.stderr), /dhcp\.yml:2: duplicate case id "dhcp", also declared at .*cases\/dhcp\.yml:2/);
});

test('linuxkit-core (version 2) is the built-in profile and names the eight built-in cases', (t) => {
  t.true(builtInProfiles().includes('linuxkit-core'));
  const cases = loadAllCases();
  const profile = loadProfile('linuxkit-core', cases);
  t.is(profile.name, 'linuxkit-core');
  t.is(profile.version, '2');
  t.deepEqual(profileCases(profile, cases).map((c) => c.id), builtInIds);
});

test('a vendor profile file may name vendor cases and use a semantic version', (t) => {
  const dir = vendorFolder(['acme-rng']);
  const profile = loadProfile(profileFile('name: acme\nversion: 1.2.0\ncases: [boot, acme-rng]\n'), loadAllCases([dir]));
  t.is(profile.version, '1.2.0');
  t.deepEqual(profile.cases, ['boot', 'acme-rng']);
});

test('a profile naming an unknown case is a ConfigError at the line of that entry', (t) => {
  const file = profileFile('name: acme\nversion: 1\ncases:\n  - boot\n  - acme-rng\n');
  const error = t.throws(() => loadProfile(file, loadAllCases()), { instanceOf: ConfigError });
  t.is(error?.line, 5);
  t.regex(error?.message ?? '', /vendor\.yml:5: cases\[1\]: unknown case "acme-rng"/);
});

test('a profile leaving out boot, a bad version or an unknown key is refused with file:line', (t) => {
  const cases = loadAllCases();
  t.throws(() => loadProfile(profileFile('name: acme\nversion: 1\ncases: [dhcp]\n'), cases), { instanceOf: ConfigError, message: /vendor\.yml:3: cases must include "boot"/ });
  t.throws(() => loadProfile(profileFile('name: acme\nversion: one\ncases: [boot]\n'), cases), { instanceOf: ConfigError, message: /vendor\.yml:2: version/ });
  t.throws(() => loadProfile(profileFile('name: acme\nversion: 1\ncases: [boot]\nextra: 1\n'), cases), { instanceOf: ConfigError, message: /vendor\.yml:4: unknown key "extra"/ });
  t.throws(() => loadProfile('no-such-profile', cases), { instanceOf: UsageError, message: /unknown profile "no-such-profile" \(built-in: .*linuxkit-core/ });
});

test('kittest run --profile with an unknown case is exit 2 naming file:line, before any image is looked at', async (t) => {
  const file = profileFile('name: acme\nversion: 1\ncases:\n  - boot\n  - acme-rng\n');
  const r = await kittest(['run', '--arch', 'x86_64', '--image', '/nonexistent/img', '--profile', file]);
  t.is(r.exitCode, 2);
  t.true(oneLine(String(r.stderr)));
  t.regex(String(r.stderr), /vendor\.yml:5: cases\[1\]: unknown case "acme-rng" \(known: boot, /);
});

test('with its --cases folder the same vendor profile gets past the cases (and stops at the missing image)', async (t) => {
  const dir = vendorFolder(['acme-rng']);
  const file = profileFile('name: acme\nversion: 1\ncases:\n  - boot\n  - acme-rng\n');
  const r = await kittest(['run', '--arch', 'x86_64', '--image', '/nonexistent/img', '--profile', file, '--cases', dir]);
  t.is(r.exitCode, 2);
  t.notRegex(String(r.stderr), /unknown case|vendor\.yml/);
});

test('--profile and --case together are refused', async (t) => {
  const r = await kittest(['run', '--profile', 'linuxkit-core', '--case', 'dhcp', '--image', '/nonexistent/img']);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /--profile and --case cannot be combined/);
});
