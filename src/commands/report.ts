// kittest report merge A.json B.json ...: join shard reports into one and write it as JSON, JUnit and HTML.
import { displayPath } from '../config/load-yaml.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { summaryLines } from '../report/human.ts';
import { mergeReports, readReport } from '../report/merge.ts';
import { writeReports } from '../report/write.ts';
import { colorFor } from '../util/color.ts';
import { requireReportFiles } from '../util/path-options.ts';

export interface ReportOptions {
  json?: string;
  junit?: string;
  html?: string;
}

const usage = 'kittest report merge A.json B.json ... [--json FILE] [--junit FILE] [--html FILE]';

/** The report command; resolves with 0 when every merged run passed (or was flaky), else 1. */
export async function reportCommand(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const options = values as ReportOptions;
  const [action, ...files] = positionals;
  if (action !== 'merge') throw new UsageError(`report: unknown action "${action ?? ''}" (usage: ${usage})`);
  if (files.length === 0) throw new UsageError(`report merge: no report files given (usage: ${usage})`);
  requireReportFiles(options);
  const report = mergeReports(files.map(readReport), files.map(displayPath));
  writeReports(report, { json: options.json, junit: options.junit, html: options.html });
  const color = colorFor(process.stdout);
  for (const line of summaryLines(color, report)) process.stdout.write(`${line}\n`);
  return report.runs.every((r) => r.status === 'passed' || r.status === 'flaky') ? ExitCode.ok : ExitCode.failed;
}
