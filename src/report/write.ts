// Write the requested report files, each atomically.
import type { Report } from './model.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

export interface ReportFiles {
  json?: string;
  junit?: string;
  html?: string;
}

/** Write JSON, JUnit and HTML reports where asked. */
export function writeReports(report: Report, files: ReportFiles): void {
  if (files.json) writeFileAtomic(files.json, `${JSON.stringify(report, null, 2)}\n`);
  if (files.junit) writeFileAtomic(files.junit, renderJunit(report));
  if (files.html) writeFileAtomic(files.html, renderHtml(report));
}
