// Strings read from files (reports, vendor targets) reach the terminal escaped: an ESC in a report's
// target or a vendor's description cannot clear the screen or recolour what follows.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize } from '../../src/report/model.ts';
import { sampleReport } from '../fixtures/reports/sample.ts';
import { kittest } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'kt-fields-'));
const esc = '\x1b[2J\x1b]0;owned\x07';
const raw = /[\x1b\x07]/;

test('report merge escapes the target, image format and accel it prints', async (t) => {
  const report = structuredClone(sampleReport());
  const run = report.runs[0]!;
  Object.assign(run, { target: `arm${esc}`, accel: `tcg${esc}`, image: { ...run.image, format: `raw${esc}\nkittest: all passed` } });
  const file = join(dir, 'merge.json');
  writeFileSync(file, JSON.stringify({ ...report, runs: [run], summary: summarize([run]) }));
  const r = await kittest(['report', 'merge', file, '--arch', 'all']);
  const out = String(r.stdout);
  t.false(raw.test(out), out);
  t.regex(out, /arm\\x1b\[2J\\x1b\]0;owned\\x07/);
  t.regex(out, /raw\\x1b.*\\nkittest: all passed/);
  t.regex(out, /\[tcg\\x1b/);
});

test('report verify escapes the profile name and version it prints', async (t) => {
  const report = structuredClone(sampleReport());
  const sha = '0'.repeat(64);
  report.statement = {
    profile: { name: `p${esc}`, version: `1${esc}`, folder: 'profiles', path: 'p.yml', sha256: sha, cases: ['boot'] },
    kittest: '0.1.0',
    cases: [{ id: 'boot', folder: 'cases', path: 'boot.yml', sha256: sha }],
    qemu: {},
  };
  const file = join(dir, 'verify.json');
  writeFileSync(file, JSON.stringify(report));
  const r = await kittest(['report', 'verify', file]);
  const out = `${String(r.stdout)}${String(r.stderr)}`;
  t.false(raw.test(out), out);
  t.regex(out, /p\\x1b\[2J/);
});

test('list targets escapes a vendor description', async (t) => {
  const targets = mkdtempSync(join(dir, 'targets-'));
  writeFileSync(join(targets, 'evil.yml'), `extends: x86_64\nname: evil\ndescription: "board\\e[2J\\a"\n`);
  const r = await kittest(['list', 'targets', '--targets', targets]);
  t.is(r.exitCode, 0, String(r.stderr));
  t.false(raw.test(String(r.stdout)), String(r.stdout));
  t.regex(String(r.stdout), /^evil +board\\x1b\[2J\\x07$/m);
});
