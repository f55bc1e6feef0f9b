// Expectations on one run's verdicts, shared by the tests of broken and differently built images.
import type { ExecutionContext } from 'ava';
import type { RunReport } from '../../src/report/model.ts';

/** Every case passes but those in `failing`, which fail with a message matching theirs. */
export function expectVerdicts(t: ExecutionContext, run: RunReport, failing: Readonly<Record<string, RegExp>>): void {
  for (const c of run.cases) {
    const why = failing[c.id];
    if (why) {
      t.is(c.status, 'failed', `${c.id} should fail: ${c.message}`);
      t.regex(c.message, why);
    } else {
      // The end of the evidence (the last console lines of a boot that failed) says why in CI's log.
      t.is(c.status, 'passed', `${c.id} should pass: ${c.message}\n${c.evidence.slice(-1500)}`);
    }
  }
}
