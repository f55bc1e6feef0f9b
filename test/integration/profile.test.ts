// A profile run end to end: the reference image on x86_64 under `--profile linuxkit-core`, its
// conformance statement in every report, and `kittest report verify` on what it wrote.
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/report/model.ts';
import { sha256File } from '../../src/util/sha256.ts';
import { version } from '../../src/config/version.ts';
import { kittest } from '../helpers/cli.ts';
import { referenceImage } from '../helpers/images.ts';

const core = ['boot', 'containerd', 'runc', 'dhcp', 'rng', 'rootfs-immutable', 'services-isolated', 'services-declared'];
const out = mkdtempSync(join(tmpdir(), 'kt-profile-'));
let report: Report;
let exitCode: number | undefined;

test.before(async () => {
  await referenceImage('x86_64');
  const r = await kittest(['run', '--arch', 'x86_64', '--profile', 'linuxkit-core', '--json', join(out, 'r.json'), '--junit', join(out, 'r.xml'), '--html', join(out, 'r.html')]);
  exitCode = r.exitCode;
  report = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as Report;
});

test('kittest run --profile linuxkit-core runs exactly the profile\'s cases and passes', (t) => {
  t.is(exitCode, 0);
  t.deepEqual(report.runs.map((r) => r.target), ['x86_64']);
  const run = report.runs[0]!;
  t.deepEqual(run.cases.map((c) => c.id), core);
  for (const c of run.cases) t.is(c.status, 'passed', `${c.id}: ${c.message}`);
});

test('the JSON report carries the statement: profile, case file hashes, kittest and QEMU versions', async (t) => {
  const s = report.statement!;
  t.like(s.profile, { name: 'linuxkit-core', version: '2', folder: 'profiles', path: 'linuxkit-core.yml', cases: core });
  t.is(s.kittest, version);
  t.deepEqual(s.cases.map((c) => [c.id, c.folder, c.path]), core.map((id) => [id, 'cases', `${id}.yml`]));
  for (const c of s.cases) t.is(c.sha256, await sha256File(join('cases', c.path)), c.id);
  t.regex(s.qemu['x86_64'] ?? '', /^\d+\.\d+/);
  t.is(report.runs[0]!.qemu.version, s.qemu['x86_64']);
  t.true(Object.keys(report.runs[0]!.image.sha256).length >= 2);
});

test('JUnit and HTML name the profile too', (t) => {
  t.regex(readFileSync(join(out, 'r.xml'), 'utf8'), /<property name="conformance\.profile" value="linuxkit-core 2"\/>/);
  t.regex(readFileSync(join(out, 'r.html'), 'utf8'), /<section id="statement" data-profile="linuxkit-core" data-version="2">/);
});

test('kittest report verify holds for the report the run wrote', async (t) => {
  const r = await kittest(['report', 'verify', join(out, 'r.json')]);
  t.is(r.exitCode, 0, String(r.stdout));
  t.regex(String(r.stdout), /^ok\s+run x86_64 image\s/m);
  t.notRegex(String(r.stdout), /MISMATCH|skipped/);
});
