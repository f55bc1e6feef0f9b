// JUnit XML: a testsuite per target, a testcase per case, console excerpt in system-out.
import type { Report } from './model.ts';

/** Escape text for XML, dropping characters XML 1.0 cannot hold (guest output is untrusted). */
function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** A profile run's conformance statement, as properties of each testsuite (JUnit has no report-level properties). */
function statementProperties(statement: Report['statement'], target: string): [string, string][] {
  if (!statement) return [];
  const p = statement.profile;
  return [
    ['conformance.profile', `${p.name} ${p.version}`],
    [`conformance.sha256:${p.folder}/${p.path}`, p.sha256],
    ['conformance.kittest', statement.kittest],
    ...(statement.qemu[target] ? [['conformance.qemu', statement.qemu[target]] as [string, string]] : []),
    ...statement.cases.map((c): [string, string] => [`conformance.sha256:${c.folder}/${c.path}`, c.sha256]),
  ];
}

/** Render a report as JUnit XML. */
export function renderJunit(report: Report): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = report.runs.flatMap((r) => r.cases);
  const machineFailures = report.runs.filter((r) => r.machineFailure).length;
  out.push(
    `<testsuites name="kittest" tests="${all.length + machineFailures}" failures="${all.filter((c) => c.status === 'failed').length + machineFailures}" errors="${all.filter((c) => c.status === 'error' || c.status === 'interrupted').length}" skipped="${all.filter((c) => c.status === 'skipped').length}" time="${seconds(report.runs.reduce((t, r) => t + r.durationMs, 0))}">`,
  );
  for (const run of report.runs) {
    const c = run.cases;
    const extra = run.machineFailure ? 1 : 0;
    out.push(
      `  <testsuite name="${xmlEscape(run.target)}" tests="${c.length + extra}" failures="${c.filter((x) => x.status === 'failed').length + extra}" errors="${c.filter((x) => x.status === 'error' || x.status === 'interrupted').length}" skipped="${c.filter((x) => x.status === 'skipped').length}" time="${seconds(run.durationMs)}" timestamp="${run.startedAt.replace(/\.\d+Z$/, '')}">`,
    );
    out.push('    <properties>');
    const props: [string, string][] = [
      ['accel', run.accel],
      ['image', run.image.path],
      ['format', run.image.format],
      ['status', run.status],
      ['attempts', String(run.attempts)],
      ...(run.qemu.unsafe ? [['qemu.unsafe', run.qemu.unsafe] as [string, string]] : []),
      ...Object.entries(run.image.sha256).map(([file, sum]): [string, string] => [`sha256:${file}`, sum]),
      ...statementProperties(report.statement, run.target),
    ];
    for (const [name, value] of props) out.push(`      <property name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>`);
    out.push('    </properties>');
    for (const kase of c) {
      out.push(`    <testcase name="${xmlEscape(kase.id)}" classname="kittest.${xmlEscape(run.target)}" time="${seconds(kase.durationMs)}">`);
      if (kase.status === 'failed') out.push(`      <failure message="${xmlEscape(kase.message)}" type="AssertionFailed">${xmlEscape(kase.evidence)}</failure>`);
      if (kase.status === 'error' || kase.status === 'interrupted') out.push(`      <error message="${xmlEscape(kase.message)}" type="${kase.status}">${xmlEscape(kase.evidence)}</error>`);
      if (kase.status === 'skipped') out.push(`      <skipped message="${xmlEscape(kase.message)}"/>`);
      if (kase.console) out.push(`      <system-out>${xmlEscape(kase.console)}</system-out>`);
      out.push('    </testcase>');
    }
    // A panic after the last verdict fails the run; CI tools only see testcases, so it gets one.
    if (run.machineFailure) {
      out.push(`    <testcase name="machine" classname="kittest.${xmlEscape(run.target)}" time="0.000">`);
      out.push(`      <failure message="${xmlEscape(run.machineFailure.what)}" type="MachineFailure">${xmlEscape(run.message ?? '')}</failure>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
