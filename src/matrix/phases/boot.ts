// Phase 1 of a run: wait for a shell on the console. The boot case's verdict, and when no shell
// answered, every other case's (none of them runs).
import type { BootFailure, BootSession } from '../../boot/session.ts';
import type { CaseDef } from '../../cases/case-files.ts';
import type { Target } from '../../config/targets.ts';
import { type CaseReport, truncated } from '../../report/model.ts';
import { notRunAfterBoot } from '../../report/status.ts';
import { type CaseVerdict, type OnCase, type RunMachine, withVerdict } from './machine.ts';

type BootingMachine = RunMachine & Pick<BootSession, 'waitForShell' | 'bootFailure'>;

interface BootOutcome {
  /** The boot case's report by its index (none when the boot case is not selected). */
  readonly verdicts: Map<number, CaseReport>;
  /** Why no shell answered; absent when one did. */
  readonly failure?: BootFailure;
}

/** Wait for the shell; the boot case's verdict goes to `onCase` at once. */
export async function bootPhase(machine: BootingMachine, target: Target, cases: readonly CaseDef[], signal: AbortSignal | undefined, onCase?: OnCase): Promise<BootOutcome> {
  const { engine } = machine;
  const index = cases.findIndex((c) => c.check === 'boot');
  const verdicts = new Map<number, CaseReport>();
  const decide = (verdict: CaseVerdict) => {
    const def = cases[index];
    if (!def) return;
    const report = withVerdict(def, verdict);
    onCase?.(report);
    verdicts.set(index, report);
  };
  const bootStart = engine.now();
  const position = engine.position;
  try {
    await machine.waitForShell();
    decide({
      status: 'passed',
      durationMs: Math.round(engine.now() - bootStart),
      message: `a shell answered on ${target.console.device} after ${((engine.now() - bootStart) / 1000).toFixed(1)} s`,
      evidence: truncated(engine.lastLines(15).join('\n')),
      console: truncated(engine.slice(position), 64_000),
    });
    return { verdicts };
  } catch (error) {
    const failure = machine.bootFailure(error, signal?.aborted ?? false);
    decide({
      ...failure,
      durationMs: Math.round(engine.now() - bootStart),
      evidence: truncated(engine.lastLines(40).join('\n')),
      console: truncated(engine.slice(position), 64_000),
    });
    return { verdicts, failure };
  }
}

/** Every case but the boot case after the boot failed (interrupted too): none of them ran, and the policy says with which status. */
export function notRunAfterBootFailure(machine: RunMachine, cases: readonly CaseDef[], failure: BootFailure, onCase?: OnCase): Map<number, CaseReport> {
  const reports = new Map<number, CaseReport>();
  const bootIndex = cases.findIndex((c) => c.check === 'boot');
  for (const [index, def] of cases.entries()) {
    if (index === bootIndex) continue;
    const report = withVerdict(def, notRunAfterBoot({ interrupted: failure.status === 'interrupted', hostError: machine.hostError }, failure.status));
    onCase?.(report);
    reports.set(index, report);
  }
  return reports;
}
