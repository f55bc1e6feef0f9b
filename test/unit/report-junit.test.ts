import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.ts';
import { renderJunit } from '../../src/report/junit.ts';
import type { Report } from '../../src/report/model.ts';
import { sampleReport } from '../fixtures/reports/sample.ts';

const schema = join(projectRoot, 'test', 'fixtures', 'junit', 'junit.xsd');
const xmllint = '/usr/bin/xmllint';

/** xmllint from Debian's libxml2-utils, installed when missing and we are root. */
function haveXmllint(): boolean {
  if (existsSync(xmllint)) return true;
  if (process.getuid?.() !== 0) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'libxml2-utils'], { env, stdio: 'ignore', timeout: 300_000 });
  if (install().status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore', timeout: 300_000 });
    install();
  }
  return existsSync(xmllint);
}

const dir = mkdtempSync(join(tmpdir(), 'kt-junit-'));
let n = 0;
function write(xml: string): string {
  const file = join(dir, `report-${n++}.xml`);
  writeFileSync(file, xml);
  return file;
}

/** Validate with `xmllint --schema`; resolves with xmllint's verdict and messages. */
function validate(xml: string): { valid: boolean; output: string } {
  const r = spawnSync(xmllint, ['--noout', '--nonet', '--schema', schema, write(xml)], { encoding: 'utf8' });
  return { valid: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

function xpath(xml: string, expression: string): string {
  return spawnSync(xmllint, ['--nonet', '--xpath', expression, write(xml)], { encoding: 'utf8' }).stdout.trim();
}

const available = haveXmllint();
/** Without xmllint the test fails (scripts/setup.mjs installs libxml2-utils): it never passes unchecked. */
const missing = (t: { fail: (message?: string) => void }) => {
  if (available) return false;
  t.fail('xmllint is missing: install libxml2-utils (scripts/setup.mjs does, as root)');
  return true;
};

test('the JUnit report of three targets with every verdict is valid against the JUnit schema', (t) => {
  if (missing(t)) return;
  const { valid, output } = validate(renderJunit(sampleReport()));
  t.true(valid, output);
});

test('the schema is not vacuous: it rejects a testcase without a name and a negative count', (t) => {
  if (missing(t)) return;
  const xml = renderJunit(sampleReport());
  t.false(validate(xml.replace('<testcase name="boot" ', '<testcase ')).valid);
  t.false(validate(xml.replace(/tests="3"/, 'tests="-1"')).valid);
  t.false(validate(xml.replace('<properties>', '<props>').replace('</properties>', '</props>')).valid);
});

test('counts match the cases: a testsuite per target, a testcase per case, failures and errors where due', (t) => {
  if (missing(t)) return;
  const report = sampleReport();
  const xml = renderJunit(report);
  t.is(xpath(xml, 'count(/testsuites/testsuite)'), '3');
  t.is(xpath(xml, 'count(//testcase)'), '9');
  t.is(xpath(xml, 'count(//testcase/failure)'), String(report.summary.failed));
  t.is(xpath(xml, 'count(//testcase/error)'), String(report.summary.error + report.summary.interrupted));
  t.is(xpath(xml, 'count(//testcase/skipped)'), String(report.summary.skipped));
  t.is(xpath(xml, 'string(/testsuites/@tests)'), '9');
  for (const run of report.runs) t.is(xpath(xml, `string(/testsuites/testsuite[@name="${run.target}"]/@tests)`), String(run.cases.length));
});

test('hostile guest text stays text in the XML', (t) => {
  if (missing(t)) return;
  const xml = renderJunit(sampleReport());
  t.is(
    xpath(xml, 'string(//testsuite[@name="s390x"]/testcase[@name="dhcp"]/failure/@message)'),
    'expected a lease, saw <script>alert(1)</script> and \\x1b[31mred\\x1b[0m & "quotes"',
  );
  t.is(xpath(xml, 'count(//script)'), '0');
});

test('characters XML cannot hold do not make the report invalid', (t) => {
  if (missing(t)) return;
  const report: Report = sampleReport();
  const kase = report.runs[1]?.cases[1];
  if (!kase) return t.fail();
  kase.message = 'nul \x00 bell \x07 esc \x1b lone \ud800 surrogate, ]]> and an emoji 🐧';
  kase.evidence = 'form feed \x0c, vertical tab \x0b, DEL \x7f, C1 \x85';
  kase.console = '\x1b[2J\x1b[H]]><!-- -->';
  const { valid, output } = validate(renderJunit(report));
  t.true(valid, output);
});

test('a machine failure after the last verdict is a failed testcase of its own, and the report stays valid', (t) => {
  const report = sampleReport();
  const run = report.runs[0]!;
  run.machineFailure = { what: 'QMP GUEST_PANICKED: QEMU reported GUEST_PANICKED {"action":"poweroff"}', atMs: 41_000 };
  const xml = renderJunit(report);
  t.regex(xml, /<testcase name="machine" classname="kittest\.[^"]+" time="0\.000">\n\s+<failure message="QMP GUEST_PANICKED/);
  t.true(validate(xml).valid, validate(xml).output);
});
