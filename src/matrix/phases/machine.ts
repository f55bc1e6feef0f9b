// What the run's phases share: the machine as they see it, a case's verdict, and what went wrong so far.
import type { BootSession } from '../../boot/session.ts';
import type { CaseDef } from '../../cases/case-files.ts';
import type { CaseReport } from '../../report/model.ts';
import type { Trouble } from '../../report/status.ts';

/** What the phases use of a booted machine (a BootSession): narrow, so each phase is tested without QEMU. */
export type RunMachine = Pick<BootSession, 'engine' | 'hostError' | 'qemuFault'>;

/** A case's verdict as its phase decided it: every field but the case's name. */
export type CaseVerdict = Partial<Omit<CaseReport, 'id' | 'title'>>;

/** Called with each case's report the moment its verdict is known (for live output). */
export type OnCase = (report: CaseReport) => void;

/** A case's report before anything happened to it. */
export function notRun(def: Pick<CaseDef, 'id' | 'title'>, each: Pick<CaseReport, 'status' | 'message'> = { status: 'skipped', message: 'not run' }): CaseReport {
  return { id: def.id, title: def.title, ...each, durationMs: 0, evidence: '' };
}

/** A case's report with its verdict: the fields of a report not run, overwritten in place, new ones after. */
export function withVerdict(def: Pick<CaseDef, 'id' | 'title'>, verdict: CaseVerdict): CaseReport {
  return { ...notRun(def), ...verdict };
}

/** What went wrong so far, read now: the status policy (src/report/status.ts) decides from it. */
export function troubleNow(machine: RunMachine, signal: AbortSignal | undefined): Trouble {
  return { interrupted: signal?.aborted ?? false, guestCrashed: machine.engine.failure !== undefined, qemuFault: machine.qemuFault, hostError: machine.hostError };
}
