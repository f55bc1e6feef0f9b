// The one status policy: what a case's and a run's status is, given what went wrong. The run
// (src/matrix), the boot session (src/boot) and `report merge` decide statuses only through here.
import type { CaseReport, CaseStatus, RunReport, RunStatus } from './model.ts';

/** What went wrong around a case or a boot, read at the moment its status is decided. */
export interface Trouble {
  /** The run was interrupted (Ctrl-C, SIGTERM, a test's abort). */
  readonly interrupted: boolean;
  /** The guest crashed: a panic, an Oops or a crash on the console or over QMP. */
  readonly guestCrashed: boolean;
  /** QEMU itself failed (killed, or a non-zero exit status). */
  readonly qemuFault: boolean;
  /** The host failed the run (a full disk): one line naming the file. */
  readonly hostError?: string;
}

/** Only the guest is to blame: it crashed while QEMU and the host were fine. */
const guestAlone = (trouble: Trouble) => trouble.guestCrashed && !trouble.qemuFault && !trouble.hostError;

/** Why no shell answered, as far as the status goes. */
interface BootTrouble extends Pick<Trouble, 'interrupted' | 'qemuFault' | 'hostError'> {
  /** The console printed nothing at all. */
  readonly noOutput: boolean;
  /** The console was lost for a reason of the infrastructure's (a MachineError that says so). */
  readonly consoleLost: boolean;
}

/** The boot case when no shell answered: no output at all, QEMU or the host failing is the infrastructure's fault (an error), not the image's. */
export function bootFailureStatus(trouble: BootTrouble): 'failed' | 'error' | 'interrupted' {
  if (trouble.interrupted) return 'interrupted';
  return trouble.hostError || trouble.consoleLost || trouble.noOutput || trouble.qemuFault ? 'error' : 'failed';
}

/** Every other case after the boot case got `bootStatus`: none of them ran. */
export function notRunAfterBoot(trouble: Pick<Trouble, 'interrupted' | 'hostError'>, bootStatus: CaseStatus): Pick<CaseReport, 'status' | 'message'> {
  if (trouble.interrupted) return { status: 'interrupted', message: 'interrupted' };
  if (trouble.hostError) return { status: 'error', message: `not run: ${trouble.hostError}` };
  return { status: 'skipped', message: `not run: boot ${bootStatus}` };
}

/** A case that does not apply here (its appliesTo): skipped, and it does not fail the run. */
export function notApplicableHere(why: string): Pick<CaseReport, 'status' | 'message' | 'notApplicable'> {
  return { status: 'skipped', notApplicable: true, message: `not run: ${why}` };
}

/** Every case of a run the host failed before QEMU started (its files could not be written). */
export function notStarted(why: string): Pick<CaseReport, 'status' | 'message'> {
  return { status: 'error', message: `not run: ${why}` };
}

/** A run the matrix never started because it was interrupted (Ctrl-C), and each of its cases. */
export const interruptedBeforeStart = {
  run: { status: 'interrupted', message: 'interrupted before it started' },
  case: { status: 'interrupted', message: 'interrupted before the run started' },
} as const satisfies { run: Pick<RunReport, 'status' | 'message'>; case: Pick<CaseReport, 'status' | 'message'> };

/** A case not run because the host could not be reached from the console: after the guest itself failed (a panic) that is the image's fault, not an error. */
export function notRunStatus(trouble: Trouble): CaseStatus {
  return trouble.interrupted ? 'interrupted' : guestAlone(trouble) ? 'skipped' : 'error';
}

/** A case whose judge threw (a timeout, the console ending): a guest crash fails it, anything else is an error. */
export function caseErrorStatus(trouble: Trouble): CaseStatus {
  return trouble.interrupted ? 'interrupted' : guestAlone(trouble) ? 'failed' : 'error';
}

/** A case its judge decided. */
export function judgedStatus(result: { readonly passed: boolean; readonly notApplicable?: boolean }): CaseStatus {
  return result.passed ? 'passed' : result.notApplicable ? 'skipped' : 'failed';
}

/** Overall status of one run: it passes only when every selected case passed and the machine never failed. */
export function runStatus(cases: readonly CaseReport[], machineFailure?: RunReport['machineFailure']): RunStatus {
  if (cases.some((c) => c.status === 'interrupted')) return 'interrupted';
  if (cases.some((c) => c.status === 'error')) return 'error';
  // A case that does not apply here neither passes nor fails the run; the others must all pass.
  const judged = cases.filter((c) => !(c.status === 'skipped' && c.notApplicable));
  if (machineFailure || judged.length === 0 || judged.some((c) => c.status !== 'passed')) return 'failed';
  return 'passed';
}

/** A finished run's status: its cases and crash, and a host error makes it an error unless it was interrupted. */
export function finishedRunStatus(cases: readonly CaseReport[], machineFailure: RunReport['machineFailure'], hostError: string | undefined): RunStatus {
  const status = runStatus(cases, machineFailure);
  return hostError && status !== 'interrupted' ? 'error' : status;
}

/** A run that passed only after a retry for an infrastructure fault is flaky. */
export function retriedStatus(status: RunStatus, attempts: number): RunStatus {
  return status === 'passed' && attempts > 1 ? 'flaky' : status;
}

/** A run whose failure is the infrastructure's (QEMU did not start, no output at all): worth a retry. */
export function isInfrastructureFault(report: RunReport): boolean {
  // A full disk stays full: no retry.
  return report.status === 'error' && !report.hostError && report.cases[0]?.status === 'error' && report.timeline['console-first-byte'] === undefined;
}

/** How bad a run status is: a merged run takes the worse of its recomputed status and its file's
 *  (flaky is not worse than passed: it follows from `attempts` alone). */
const severity: Record<RunStatus, number> = { passed: 0, flaky: 0, failed: 1, error: 2, interrupted: 3 };

/**
 * A run's status from what it holds, never from what its file claims: runStatus(cases, machineFailure),
 * flaky when it passed only after a retry. The file's status can only make it worse (kittest run
 * marks a run `error` when the image changed during it, whatever its cases say), never better.
 */
export function recomputedStatus(run: RunReport): RunStatus {
  const status = retriedStatus(runStatus(run.cases, run.machineFailure), run.attempts);
  return severity[run.status] > severity[status] ? run.status : status;
}

/** A run the host failed after its cases were judged (its report could not be written, its image changed under it). */
export const hostFailedRunStatus: RunStatus = 'error';
