// The conformance statement of --profile runs: built from the files used, carried through merge,
// rendered in JUnit and HTML, and rechecked by `kittest report verify`.
import test from 'ava';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllCases } from '../../src/cases/case-folders.ts';
import { loadCase } from '../../src/cases/case-files.ts';
import { projectRoot } from '../../src/config/paths.ts';
import { loadProfile, profileCases } from '../../src/cases/profiles.ts';
import { renderHtml } from '../../src/report/html.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { mergeReports } from '../../src/report/merge.ts';
import { type Report, type RunReport, summarize } from '../../src/report/model.ts';
import { buildStatement } from '../../src/report/statement.ts';
import { verifyStatement } from '../../src/report/verify.ts';
import { sha256File } from '../../src/util/sha256.ts';
import { version } from '../../src/config/version.ts';
import { sampleReport } from '../fixtures/reports/sample.ts';
import { kittest } from '../helpers/cli.ts';
import { profileFile, vendorFolder } from '../helpers/vendor-cases.ts';

interface Fixture {
  readonly dir: string;
  readonly cases: string;
  readonly images: string[];
  readonly report: Report;
  readonly file: string;
}

/** A passing run of a vendor profile (boot + the vendor case acme-rng) on `targets`, its image files on disk, saved as JSON. */
async function fixture(targets: readonly string[] = ['x86_64']): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-verify-'));
  const cases = vendorFolder(['acme-rng']);
  const all = loadAllCases([cases]);
  const profile = loadProfile(profileFile('name: acme\nversion: 1.0.0\ncases: [boot, acme-rng]\n'), all);
  const images = [join(dir, 'img-kernel'), join(dir, 'img-initrd.img')];
  writeFileSync(images[0]!, 'kernel bytes');
  writeFileSync(images[1]!, 'initrd bytes');
  const sha256: Record<string, string> = {};
  for (const file of images) sha256[file] = await sha256File(file);
  const base = sampleReport().runs[0]!;
  const runs: RunReport[] = targets.map((target) => ({
    ...structuredClone(base),
    target,
    status: 'passed',
    attempts: 1,
    image: { ...base.image, path: join(dir, 'img'), sha256 },
    cases: ['boot', 'acme-rng'].map((id) => ({ id, title: id, status: 'passed', durationMs: 10, message: 'ok', evidence: '' })),
  }));
  const statement = await buildStatement(profile, profileCases(profile, all), Object.fromEntries(targets.map((t) => [t, '8.2.2'])));
  const report: Report = { tool: { name: 'kittest', version }, statement, runs, summary: summarize(runs) };
  return { dir, cases, images, report, file: save(dir, report) };
}

function save(dir: string, report: Report, name = 'report.json'): string {
  const file = join(dir, name);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

const mismatches = async (f: Fixture, report = f.report, folders = [f.cases]) => (await verifyStatement(report, report.statement!, folders)).filter((l) => l.result === 'MISMATCH');

test('the statement names the profile, every case file with its sha256, kittest and QEMU', async (t) => {
  const { report, cases } = await fixture();
  const s = report.statement!;
  t.like(s.profile, { name: 'acme', version: '1.0.0', path: 'vendor.yml', cases: ['boot', 'acme-rng'] });
  t.deepEqual(s.cases.map((c) => [c.id, c.folder, c.path]), [['boot', 'cases', 'boot.yml'], ['acme-rng', cases, 'acme-rng.yml']]);
  t.is(s.cases[1]!.sha256, await sha256File(join(cases, 'acme-rng.yml')));
  t.is(s.kittest, version);
  t.deepEqual(s.qemu, { x86_64: '8.2.2' });
});

test('a report whose statement holds verifies: exit 0, one ok line per check', async (t) => {
  const f = await fixture();
  const r = await kittest(['report', 'verify', f.file, '--cases', f.cases]);
  t.is(r.exitCode, 0, String(r.stdout));
  const out = String(r.stdout);
  t.regex(out, /^ok\s+profile acme 1\.0\.0\s+.*vendor\.yml sha256 [0-9a-f]{12}… as recorded$/m);
  t.regex(out, /^ok\s+case boot\s+cases\/boot\.yml sha256/m);
  t.regex(out, /^ok\s+case acme-rng\s+.*acme-rng\.yml sha256/m);
  t.regex(out, /^ok\s+run x86_64 status\s+passed follows from its case verdicts$/m);
  t.regex(out, /^ok\s+run x86_64 image\s+.*img-kernel sha256/m);
  t.regex(out, /holds$/m);
  t.notRegex(out, /MISMATCH/);
});

test('after a case file is edited, verification fails with exit 1, naming the file', async (t) => {
  const f = await fixture();
  appendFileSync(join(f.cases, 'acme-rng.yml'), '# edited\n');
  const r = await kittest(['report', 'verify', f.file, '--cases', f.cases]);
  t.is(r.exitCode, 1, String(r.stdout));
  t.regex(String(r.stdout), /^MISMATCH\s+case acme-rng\s+.*acme-rng\.yml has sha256 [0-9a-f]{64}; the report records [0-9a-f]{64}$/m);
  t.regex(String(r.stdout), /does not hold: 1 mismatch$/m);
});

test('a vendor case whose folder is not given is a mismatch that says to give it with --cases', async (t) => {
  const f = await fixture();
  const lines = await mismatches(f, f.report, []);
  t.is(lines.length, 1);
  t.like(lines[0], { what: 'case acme-rng' });
  t.regex(lines[0]!.detail, /not found in cases\/ \(a vendor case needs its folder given with --cases\)/);
});

test('an image file that changed is a mismatch naming it; one that is gone is skipped', async (t) => {
  const f = await fixture();
  writeFileSync(f.images[0]!, 'another kernel');
  rmSync(f.images[1]!);
  const lines = await verifyStatement(f.report, f.report.statement!, [f.cases]);
  const images = lines.filter((l) => l.what === 'run x86_64 image');
  t.is(images.length, 2);
  t.is(images[0]!.result, 'MISMATCH');
  t.regex(images[0]!.detail, /img-kernel has sha256 [0-9a-f]{64}; the report records [0-9a-f]{64}/);
  t.is(images[1]!.result, 'skipped');
  t.regex(images[1]!.detail, /img-initrd\.img is not here/);
  const r = await kittest(['report', 'verify', f.file, '--cases', f.cases]);
  t.is(r.exitCode, 1);
  t.regex(String(r.stdout), /^MISMATCH\s+run x86_64 image\s+.*img-kernel has sha256/m);
});

test('a run status better than its verdicts, a wrong summary, or a run without a profile case is a mismatch', async (t) => {
  const f = await fixture();
  const report = structuredClone(f.report);
  report.runs[0]!.cases[1]!.status = 'failed';
  const lines = await mismatches(f, report);
  t.deepEqual(lines.map((l) => l.what), ['run x86_64 status', 'summary']);
  t.regex(lines[0]!.detail, /the report says passed, its case verdicts give failed/);

  const dropped = structuredClone(f.report);
  dropped.runs[0]!.cases.pop();
  dropped.summary = summarize(dropped.runs);
  const missing = await mismatches(f, dropped);
  t.deepEqual(missing.map((l) => l.what), ['run x86_64 cases']);
  t.regex(missing[0]!.detail, /missing acme-rng/);
});

test('a statement whose profile case list differs from the profile file is a mismatch, though the hash matches', async (t) => {
  const f = await fixture();
  const report = structuredClone(f.report);
  report.statement = { ...report.statement!, profile: { ...report.statement!.profile, cases: ['boot'] } };
  report.statement = { ...report.statement, cases: report.statement.cases.slice(0, 1) };
  for (const run of report.runs) run.cases.pop();
  report.summary = summarize(report.runs);
  const lines = await mismatches(f, report);
  t.deepEqual(lines.map((l) => l.what), ['profile acme 1.0.0 content']);
  t.regex(lines[0]!.detail, /vendor\.yml says cases boot, acme-rng, unlike the statement/);
});

test('a run marked error whatever its cases (its image changed during the run) still verifies', async (t) => {
  const f = await fixture();
  const report = structuredClone(f.report);
  report.runs[0]!.status = 'error';
  t.deepEqual(await mismatches(f, report), []);
});

test('a statement whose case files are not the profile\'s cases is a mismatch', async (t) => {
  const f = await fixture();
  const report = structuredClone(f.report);
  report.statement = { ...report.statement!, cases: report.statement!.cases.slice(0, 1) };
  const lines = await mismatches(f, report);
  t.deepEqual(lines.map((l) => l.what), ['statement cases']);
  t.regex(lines[0]!.detail, /missing acme-rng/);
});

test('the built-in linuxkit-core profile verifies against this checkout', async (t) => {
  const all = loadAllCases();
  const profile = loadProfile('linuxkit-core', all);
  const statement = await buildStatement(profile, profileCases(profile, all), {});
  t.like(statement.profile, { folder: 'profiles', path: 'linuxkit-core.yml' });
  const report: Report = { tool: { name: 'kittest', version }, statement, runs: [], summary: summarize([]) };
  const lines = await verifyStatement(report, statement, []);
  t.deepEqual(lines.filter((l) => l.result === 'MISMATCH').map((l) => l.what), ['runs']);
  t.is(lines.filter((l) => l.what.startsWith('case ') && l.result === 'ok').length, 8);
});

test('a report without a statement, and a file that is not a report, are exit 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-verify-'));
  const plain = save(dir, sampleReport(), 'plain.json');
  const r = await kittest(['report', 'verify', plain]);
  t.is(r.exitCode, 2);
  t.regex(String(r.stderr), /plain\.json has no conformance statement \(only kittest run --profile writes one\)/);
  writeFileSync(join(dir, 'junk.json'), '{"tool": 1}');
  const junk = await kittest(['report', 'verify', join(dir, 'junk.json')]);
  t.is(junk.exitCode, 2);
  t.regex(String(junk.stderr), /junk\.json: not a kittest report/);
});

test('merging shards of one profile run keeps the statement and joins the QEMU versions; different statements are refused', async (t) => {
  const f = await fixture(['arm64', 'x86_64']);
  const shard = (i: number, qemu: string): Report => {
    const runs = [f.report.runs[i]!];
    return { ...f.report, statement: { ...f.report.statement!, qemu: { [runs[0]!.target]: qemu } }, runs, summary: summarize(runs) };
  };
  const merged = mergeReports([shard(0, '8.2.2'), shard(1, '8.2.3')]);
  t.deepEqual(merged.statement?.qemu, { arm64: '8.2.2', x86_64: '8.2.3' });
  t.deepEqual(await mismatches(f, merged), []);
  const other = shard(1, '8.2.3');
  other.statement = { ...other.statement!, profile: { ...other.statement!.profile, version: '2.0.0' } };
  t.throws(() => mergeReports([shard(0, '8.2.2'), other], ['a.json', 'b.json']), { message: /the conformance statements of a\.json and b\.json differ/ });
  const bare = { ...shard(1, '8.2.3'), statement: undefined };
  t.throws(() => mergeReports([shard(0, '8.2.2'), bare], ['a.json', 'b.json']), { message: /b\.json has no conformance statement but a\.json has one/ });
});

test('JUnit and HTML carry the statement', async (t) => {
  const { report } = await fixture();
  const xml = renderJunit(report);
  t.regex(xml, /<property name="conformance\.profile" value="acme 1\.0\.0"\/>/);
  t.regex(xml, /<property name="conformance\.sha256:cases\/boot\.yml" value="[0-9a-f]{64}"\/>/);
  t.regex(xml, /<property name="conformance\.qemu" value="8\.2\.2"\/>/);
  const html = renderHtml(report);
  t.regex(html, /<section id="statement" data-profile="acme" data-version="1\.0\.0"><h2>Conformance statement: acme 1\.0\.0<\/h2>/);
  t.regex(html, /<code>cases\/boot\.yml<\/code><\/td><td><code>[0-9a-f]{64}<\/code>/);
});

/** A passing linuxkit-core report whose cases were loaded from `casesDir` (a copy of cases/, as KITTEST_CASES would give). */
async function coreReport(casesDir: string, status: RunReport['status'] = 'passed'): Promise<Report> {
  const all = readdirSync(casesDir).filter((f) => f.endsWith('.yml')).map((f) => loadCase(join(casesDir, f)));
  const profile = loadProfile('linuxkit-core', all);
  const statement = await buildStatement(profile, profileCases(profile, all), { x86_64: '8.2.2' });
  const base = sampleReport().runs[0]!;
  const runs: RunReport[] = [{ ...structuredClone(base), target: 'x86_64', status, attempts: 1, image: { ...base.image, sha256: {} }, cases: profile.cases.map((id) => ({ id, title: id, status: status === 'passed' ? 'passed' : 'failed', durationMs: 1, message: '', evidence: '' })) }];
  return { tool: { name: 'kittest', version }, statement, runs, summary: summarize(runs) };
}

test('a built-in case replaced by another file in a copy of cases/ does not verify, whatever --cases says', async (t) => {
  const copy = mkdtempSync(join(tmpdir(), 'kt-cases-copy-'));
  cpSync(join(projectRoot, 'cases'), copy, { recursive: true });
  writeFileSync(join(copy, 'dhcp.yml'), 'id: dhcp\ntitle: DHCP\ndescription: always true\ncheck: script\norder: 40\nsettings:\n  steps:\n    - run: "true"\n');
  const report = await coreReport(copy);
  t.not(report.statement!.cases.find((c) => c.id === 'dhcp')!.folder, 'cases');
  const file = save(mkdtempSync(join(tmpdir(), 'kt-verify-')), report);
  const r = await kittest(['report', 'verify', file, '--cases', copy]);
  t.is(r.exitCode, 1, String(r.stdout));
  t.regex(String(r.stdout), /^MISMATCH\s+case dhcp\s+.*cases\/dhcp\.yml has sha256 [0-9a-f]{64}; the report records [0-9a-f]{64}$/m);
  t.regex(String(r.stdout), /^ok\s+case boot\s/m, 'an unchanged built-in case still verifies against cases/');
});

test('a built-in profile name is reserved: another file claiming it, or its folder gone, does not verify', async (t) => {
  const f = await fixture();
  const report = structuredClone(f.report);
  const s = report.statement!;
  // A vendor profile file that calls itself linuxkit-core 1, with only boot, is not on this machine.
  report.statement = { ...s, profile: { ...s.profile, name: 'linuxkit-core', version: '1', folder: '/nowhere/profiles', cases: ['boot'] }, cases: s.cases.slice(0, 1) };
  for (const run of report.runs) run.cases.pop();
  report.summary = summarize(report.runs);
  const lines = await mismatches(f, report);
  t.deepEqual(lines.map((l) => l.what), ['profile linuxkit-core 1', 'profile linuxkit-core 1 content']);
  t.regex(lines[0]!.detail, /profiles\/linuxkit-core\.yml has sha256 [0-9a-f]{64}; the report records/);
  t.regex(lines[1]!.detail, /says version 2; cases boot, containerd, runc, dhcp, rng, rootfs-immutable, services-isolated, services-declared, unlike the statement/);
  // A vendor profile claiming to be one of kittest's own (folder "profiles") is not either.
  const posing = structuredClone(f.report);
  posing.statement = { ...posing.statement!, profile: { ...posing.statement!.profile, folder: 'profiles' } };
  const posed = await mismatches(f, posing);
  t.deepEqual(posed.map((l) => l.detail), ['profiles/vendor.yml: kittest has no built-in profile acme']);
});

test('verify says whether the runs passed in its own line: exit 0 when they did, 3 when the statement holds but a run failed', async (t) => {
  const passing = await coreReport(join(projectRoot, 'cases'));
  const dir = mkdtempSync(join(tmpdir(), 'kt-verify-'));
  const ok = await kittest(['report', 'verify', save(dir, passing, 'ok.json')]);
  t.is(ok.exitCode, 0, String(ok.stdout));
  t.regex(String(ok.stdout), /holds\nruns: all 1 run passed$/);
  const failing = await coreReport(join(projectRoot, 'cases'), 'failed');
  const r = await kittest(['report', 'verify', save(dir, failing, 'failed.json')]);
  t.is(r.exitCode, 3, String(r.stdout));
  t.notRegex(String(r.stdout), /MISMATCH/);
  t.regex(String(r.stdout), /holds\nruns: 1 of 1 runs did not pass: x86_64 failed \(not conformant\)$/);
});

test('a vendor profile file that is not here is a mismatch: nothing ties the statement\'s cases to it', async (t) => {
  const f = await fixture();
  const report = structuredClone(f.report);
  report.statement = { ...report.statement!, profile: { ...report.statement!.profile, folder: '/nowhere/profiles' } };
  const lines = await mismatches(f, report);
  t.deepEqual(lines.map((l) => l.what), ['profile acme 1.0.0']);
  t.regex(lines[0]!.detail, /\/nowhere\/profiles\/vendor\.yml is not here, so neither its sha256 nor its cases can be checked/);
});
