// kittest report merge A.json B.json ...: join shard reports into one and write it as JSON, JUnit and HTML.
// kittest report verify REPORT.json: check a report's conformance statement against what can be recomputed.
import { existsSync, statSync } from 'node:fs';
import { displayPath } from '../config/load-yaml.ts';
import { loadAllTargets, selectTargets } from '../config/targets.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { summaryLines } from '../report/human.ts';
import { mergeReports, missingTargets, readReport } from '../report/merge.ts';
import { runsOutcome, verifyStatement } from '../report/verify.ts';
import { safeField, safeForTerminal } from '../util/terminal-safe.ts';
import { writeReports } from '../report/write.ts';
import { colorFor } from '../util/color.ts';
import { requireReportFiles } from '../util/path-options.ts';
import { annotationsFor, markdownSummary } from '../report/github.ts';

interface ReportOptions {
  /** Targets the merged report must have a run for: names or aliases, comma-separated, or all; default: the default targets. */
  arch?: string;
  json?: string;
  junit?: string;
  html?: string;
  /** merge and summary: append the Markdown summary to FILE. */
  summary?: string;
  /** merge: folders of vendor target files whose runs the shards hold. */
  targets?: string[];
  /** verify: folders holding the vendor case files the statement names. */
  cases?: string[];
}

const usage = 'kittest report merge A.json B.json ... [--arch A[,B...]|all] [--targets DIR ...] [--json FILE] [--junit FILE] [--html FILE] [--summary FILE] | kittest report verify REPORT.json [--cases DIR ...] | kittest report summary REPORT.json [--summary FILE]';

/** Read every report file; all the unreadable ones are named in one UsageError. */
function readAll(files: readonly string[]): ReturnType<typeof readReport>[] {
  const problems: string[] = [];
  const reports = files.flatMap((file) => {
    try {
      return [readReport(file)];
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problems.push(error.message);
      return [];
    }
  });
  if (problems.length) throw new UsageError(`report merge: ${problems.join('; ')}`);
  return reports;
}

/** The report command; resolves with 0 when every expected target has a run and every run passed (or was flaky), else 1. */
export async function reportCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const options = values as ReportOptions;
  const [action, ...files] = positionals;
  if (action === 'verify') return verifyCommand(options, files);
  if (action === 'summary') return summaryCommand(options, files);
  if (action !== 'merge') throw new UsageError(`report: unknown action "${action ?? ''}" (usage: ${usage})`);
  if (options.cases) throw new UsageError('report merge: --cases is for report verify');
  if (files.length === 0) throw new UsageError(`report merge: no report files given (usage: ${usage})`);
  requireReportFiles(options);
  const all = loadAllTargets(options.targets);
  const expected = selectTargets(all, options.arch?.split(',').map((a) => a.trim()).filter(Boolean)).map((t) => t.name);
  const report = mergeReports(readAll(files), files.map(displayPath), all.map((t) => t.name));
  writeReports(report, { json: options.json, junit: options.junit, html: options.html, summary: options.summary });
  const color = colorFor(process.stdout);
  for (const line of summaryLines(color, report)) process.stdout.write(`${line}\n`);
  const missing = missingTargets(report, expected);
  if (missing.length) {
    process.stderr.write(`kittest: report merge: no report has a run for ${missing.join(', ')} (expected ${expected.join(', ')}; --arch names others): a shard's JSON is missing or did not run it\n`);
    return ExitCode.failed;
  }
  return report.runs.every((r) => r.status === 'passed' || r.status === 'flaky') ? ExitCode.ok : ExitCode.failed;
}

/** report verify: one line per check, then whether the statement holds and whether the runs passed: 0 both, 1 it does not hold, 3 it holds but a run did not pass. */
async function verifyCommand(options: ReportOptions, files: readonly string[]): Promise<number> {
  const flag = (['arch', 'json', 'junit', 'html', 'targets', 'summary'] as const).find((k) => options[k] !== undefined);
  if (flag) throw new UsageError(`report verify: --${flag} is for report merge`);
  if (files.length !== 1) throw new UsageError(`report verify: give one report file (usage: ${usage})`);
  const file = files[0]!;
  const report = readReport(file);
  if (!report.statement) throw new UsageError(`report verify: ${displayPath(file)} has no conformance statement (only kittest run --profile writes one)`);
  for (const folder of options.cases ?? []) {
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UsageError(`--cases ${folder}: no such folder`);
  }
  const lines = await verifyStatement(report, report.statement, options.cases ?? []);
  const width = Math.max(...lines.map((l) => l.what.length));
  for (const line of lines) process.stdout.write(`${line.result.padEnd(8)} ${safeForTerminal(line.what.padEnd(width))}  ${safeForTerminal(line.detail)}\n`);
  const mismatches = lines.filter((l) => l.result === 'MISMATCH').length;
  const [name, version] = [safeField(report.statement.profile.name), safeField(report.statement.profile.version)];
  const claim = `the conformance statement of ${safeField(displayPath(file))} (profile ${name} ${version})`;
  process.stdout.write(mismatches === 0 ? `${claim} holds\n` : `${claim} does not hold: ${mismatches} mismatch${mismatches === 1 ? '' : 'es'}\n`);
  // Whether the runs passed is said apart, so "holds" (the report is what it says) is never read as "conformant".
  const runs = runsOutcome(report);
  process.stdout.write(`runs: ${safeForTerminal(runs.detail)}${runs.passed ? '' : ' (not conformant)'}\n`);
  if (mismatches > 0) return ExitCode.failed;
  return runs.passed ? ExitCode.ok : ExitCode.runsFailed;
}

/** report summary: the Markdown summary of one report (to --summary FILE, else stdout), and its ::error annotations in GitHub Actions; 0 when every run passed. */
async function summaryCommand(options: ReportOptions, files: readonly string[]): Promise<number> {
  const flag = (['arch', 'json', 'junit', 'html', 'targets', 'cases'] as const).find((k) => options[k] !== undefined);
  if (flag) throw new UsageError(`report summary: --${flag} is not for report summary (usage: ${usage})`);
  if (files.length !== 1) throw new UsageError(`report summary: give one report file (usage: ${usage})`);
  requireReportFiles({ summary: options.summary });
  const report = readReport(files[0]!);
  if (options.summary) writeReports(report, { summary: options.summary });
  else process.stdout.write(markdownSummary(report));
  for (const line of annotationsFor(report, process.env)) process.stdout.write(`${line}\n`);
  return report.runs.length > 0 && report.runs.every((r) => r.status === 'passed' || r.status === 'flaky') ? ExitCode.ok : ExitCode.failed;
}
