// Write the requested report files, each atomically.
import type { Report } from './model.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { HostError, writeFailed } from '../errors.ts';

export interface ReportFiles {
  json?: string;
  junit?: string;
  html?: string;
}

/** Write JSON, JUnit and HTML reports where asked; one that cannot be written (disk full) does not keep the others from being written, then a HostError names it. */
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
  if (failures.length) throw new HostError(failures.join('; '));
}
