// What a report gives a CI page: a Markdown job summary (--summary FILE, the Action passes
// $GITHUB_STEP_SUMMARY) and one `::error` workflow command per failed case. Guest text is untrusted:
// it is escaped so it can neither add Markdown/HTML nor end a workflow command early.
import { safeForTerminal } from '../util/terminal-safe.ts';
import type { CaseReport, Report, RunReport } from './model.ts';

const failedStatuses: ReadonlySet<string> = new Set(['failed', 'error', 'interrupted']);
const icons: Record<string, string> = { passed: '✅', failed: '❌', error: '💥', skipped: '⏭️', interrupted: '⏹️', flaky: '⚠️' };

/** Text safe in a Markdown table cell: one line, HTML entities for <>&"', backslash-escaped inline Markdown (emphasis, code, links, pipes). */
export function markdownText(text: string): string {
  return safeForTerminal(text)
    .replace(/\r?\n|\r/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/[\\`*_[\]|~!]/g, '\\$&');
}

const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** Time to a shell and to the last verdict, in ms since QEMU started (undefined when not reached). */
export function timelineFigures(run: RunReport): { shellMs?: number; verdictMs?: number } {
  const shellMs = run.timeline['shell-ready'];
  const ends = Object.entries(run.timeline).filter(([name]) => name.startsWith('case:')).map(([, at]) => at);
  const verdictMs = ends.length ? Math.max(...ends) : shellMs;
  return { shellMs, verdictMs };
}

const failedCases = (report: Report): [RunReport, CaseReport][] => report.runs.flatMap((run) => run.cases.filter((c) => failedStatuses.has(c.status)).map((c): [RunReport, CaseReport] => [run, c]));

/** The Markdown job summary of a report: verdict grid (targets × cases), failed cases, timeline figures. */
export function markdownSummary(report: Report): string {
  const s = report.summary;
  const caseIds = [...new Set(report.runs.flatMap((r) => r.cases.map((c) => c.id)))];
  const lines = [
    '## kittest',
    '',
    `${s.passed} passed, ${s.failed} failed, ${s.error} error, ${s.skipped} skipped${s.interrupted ? `, ${s.interrupted} interrupted` : ''}`,
    '',
    `| target | run | ${caseIds.map(markdownText).join(' | ')} |`,
    `| --- | --- |${caseIds.map(() => ' --- |').join('')}`,
    ...report.runs.map((run) => {
      const cells = caseIds.map((id) => {
        const c = run.cases.find((k) => k.id === id);
        return c ? `${icons[c.status] ?? ''} ${c.status}` : '—';
      });
      return `| ${markdownText(run.target)} | ${icons[run.status] ?? ''} ${run.status} | ${cells.join(' | ')} |`;
    }),
  ];
  const failed = failedCases(report);
  if (failed.length) {
    lines.push('', '### Failed cases', '');
    for (const [run, c] of failed) lines.push(`- **${markdownText(run.target)}** / **${markdownText(c.id)}** (${c.status}): ${markdownText(c.message)}`);
  }
  const runMessages = report.runs.filter((r) => r.message);
  for (const run of runMessages) lines.push(`- **${markdownText(run.target)}** run: ${markdownText(run.message!)}`);
  lines.push('', '### Timeline', '', '| target | accel | boot to shell | full verdict |', '| --- | --- | --- | --- |');
  for (const run of report.runs) {
    const { shellMs, verdictMs } = timelineFigures(run);
    lines.push(`| ${markdownText(run.target)} | ${markdownText(run.accel)} | ${seconds(shellMs)} | ${seconds(verdictMs)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** A workflow command's data: GitHub's escaping of %, CR and LF. */
export function commandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: the data escaping plus ':' and ','. */
export function commandProperty(text: string): string {
  return commandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One `::error title=...::message` line per failed, errored or interrupted case, naming target and case. */
export function errorAnnotations(report: Report): string[] {
  return failedCases(report).map(([run, c]) => {
    const title = `kittest ${run.target} ${c.id} ${c.status}`;
    return `::error title=${commandProperty(safeForTerminal(title))}::${commandData(safeForTerminal(`${run.target}: case ${c.id} ${c.status}: ${c.message}`))}`;
  });
}

/** The annotations to print: only inside GitHub Actions (GITHUB_ACTIONS=true), elsewhere they would be noise. */
export function annotationsFor(report: Report, env: { readonly GITHUB_ACTIONS?: string }): string[] {
  return env.GITHUB_ACTIONS === 'true' ? errorAnnotations(report) : [];
}
