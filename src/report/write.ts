// Write the requested report files, each atomically (the summary is appended to).
import type { Report } from './model.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { makeFolders } from '../util/make-folders.ts';
import { markdownSummary } from './github.ts';
import { appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HostError, writeFailed } from '../errors.ts';

interface ReportFiles {
  json?: string;
  junit?: string;
  html?: string;
  /** Markdown job summary, appended: $GITHUB_STEP_SUMMARY collects every step's summary. */
  summary?: string;
}

/** Write JSON, JUnit and HTML reports and the Markdown summary where asked; one that cannot be written (disk full) does not keep the others from being written, then a HostError names it. */
export function writeReports(report: Report, files: ReportFiles): void {
  const writers: [string | undefined, () => string][] = [
    [files.json, () => `${JSON.stringify(report, null, 2)}\n`],
    [files.junit, () => renderJunit(report)],
    [files.html, () => renderHtml(report)],
  ];
  const failures: string[] = [];
  for (const [file, render] of writers) {
    if (!file) continue;
    try {
      writeFileAtomic(file, render());
    } catch (error) {
      failures.push(writeFailed(file, error).message);
    }
  }
  if (files.summary) {
    try {
      makeFolders(dirname(files.summary));
      appendFileSync(files.summary, markdownSummary(report));
    } catch (error) {
      failures.push(writeFailed(files.summary, error).message);
    }
  }
  if (failures.length) throw new HostError(failures.join('; '));
}
