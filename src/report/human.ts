// Human output: a line per case with its verdict and time, then a summary. Guest text is escaped.
import type { ChalkInstance } from 'chalk';
import { safeField, safeForTerminal } from '../util/terminal-safe.ts';
import type { CaseReport, CaseStatus, Report, RunReport } from './model.ts';

const marks: Record<CaseStatus, string> = { passed: 'PASS', failed: 'FAIL', error: 'ERROR', skipped: 'SKIP', interrupted: 'INTR' };

function paint(color: ChalkInstance, status: string, text: string): string {
  if (status === 'passed') return color.green(text);
  if (status === 'failed' || status === 'error' || status === 'interrupted') return color.red(text);
  if (status === 'flaky') return color.yellow(text);
  return color.gray(text);
}

/** One line for a case verdict. */
export function caseLine(color: ChalkInstance, target: string, c: CaseReport): string {
  const time = `${(c.durationMs / 1000).toFixed(1)}s`.padStart(7);
  return `${paint(color, c.status, marks[c.status].padEnd(5))} ${safeField(target).padEnd(8)} ${safeField(c.id).padEnd(18)} ${color.dim(time)}  ${safeForTerminal(c.message).slice(0, 300)}`;
}

/** The header line of a run. */
function runLine(color: ChalkInstance, run: RunReport): string {
  return `${paint(color, run.status, run.status.toUpperCase().padEnd(6))} ${safeField(run.target).padEnd(8)} ${safeField(run.image.format)} ${color.dim(safeField(run.image.path))} ${color.dim(`[${safeField(run.accel)}] ${(run.durationMs / 1000).toFixed(1)}s`)}`;
}

/** Final summary lines. */
export function summaryLines(color: ChalkInstance, report: Report): string[] {
  const s = report.summary;
  const parts = [
    color.green(`${s.passed} passed`),
    (s.failed ? color.red : color.dim)(`${s.failed} failed`),
    (s.error ? color.red : color.dim)(`${s.error} error`),
    color.dim(`${s.skipped} skipped`),
    ...(s.interrupted ? [color.red(`${s.interrupted} interrupted`)] : []),
  ];
  return [...report.runs.map((r) => runLine(color, r)), parts.join(', ')];
}
