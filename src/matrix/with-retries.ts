// Retry a run only for infrastructure faults (QEMU did not start, console lost, no output at all);
// a failed assertion is never retried. A pass on a retry is reported as flaky.
import pRetry, { AbortError } from 'p-retry';
import type { RunReport } from '../report/model.ts';
import { retriedStatus } from '../report/status.ts';

class InfrastructureFault extends Error {
  constructor(readonly report: RunReport) {
    super(report.message ?? 'infrastructure fault');
  }
}

/** Run `attempt(n)` until it gives a verdict that is not an infrastructure fault, at most 1 + retries times. */
export async function withInfraRetries(
  attempt: (attemptNumber: number) => Promise<RunReport>,
  isInfrastructureFault: (report: RunReport) => boolean,
  retries: number,
): Promise<RunReport> {
  const history: RunReport[] = [];
  try {
    const report = await pRetry(
      async (attemptNumber) => {
        let result: RunReport;
        try {
          result = await attempt(attemptNumber);
        } catch (error) {
          // Only a verdict that says "infrastructure" is retried; a thrown error is a bug or bad input.
          throw new AbortError(error instanceof Error ? error : new Error(String(error)));
        }
        history.push(result);
        if (isInfrastructureFault(result)) {
          if (attemptNumber > retries) throw new AbortError(new InfrastructureFault(result));
          throw new InfrastructureFault(result);
        }
        return result;
      },
      { retries, minTimeout: 500, factor: 1, randomize: false },
    );
    return finish(report, history);
  } catch (error) {
    const last = error instanceof InfrastructureFault ? error.report : history[history.length - 1];
    if (!last) throw error;
    return finish(last, history);
  }
}

function finish(report: RunReport, history: readonly RunReport[]): RunReport {
  report.attempts = history.length;
  if (history.length > 1) {
    const first = history[0];
    const faults = history.slice(0, -1).map((r, i) => `attempt ${i + 1}: ${r.message ?? r.cases[0]?.message ?? 'infrastructure fault'}`);
    report.status = retriedStatus(report.status, history.length);
    report.message = [report.message, `retried after ${faults.join('; ')}`].filter(Boolean).join('; ');
    if (first?.artifacts) report.artifacts = report.artifacts ?? first.artifacts;
  }
  return report;
}
