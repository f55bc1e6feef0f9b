// One run: boot one image on one target (src/boot), then its phases (src/matrix/phases), each
// returning what it found: boot → judge the cases → collect the facts → finish (stop, report).
import { BatchedShell } from '../cases/batched-shell.ts';
import { BootSession } from '../boot/session.ts';
import { freshNonce } from '../console/framing.ts';
import { HostError } from '../errors.ts';
import type { BootFiles } from '../images/boot-files.ts';
import type { Machine } from '../qemu/machine.ts';
import type { CaseReport, RunReport } from '../report/model.ts';
import { bootPhase, notRunAfterBootFailure } from './phases/boot.ts';
import { askSystemFacts, collectFacts } from './phases/facts.ts';
import { finishPhase, type FinishRequest, type Judged, notStartedReport } from './phases/finish.ts';
import { judgePhase } from './phases/judge.ts';

export interface RunRequest extends FinishRequest {
  readonly image: BootFiles;
  /** Folder for this run's console log, QEMU command line and report. */
  readonly artifactsDir?: string;
  /** Called when a case gets its verdict (for live output). */
  readonly onCase?: (report: CaseReport) => void;
  /** Cap of the console log file in bytes (default 16 MiB). */
  readonly logMaxBytes?: number;
  /** Test hook: called with the machine right after QEMU started. */
  readonly onMachine?: (machine: Machine) => void;
}

/** Boot `image` on `target` and check `cases`; never throws for guest problems, they become verdicts. */
export async function runTarget(request: RunRequest): Promise<RunReport> {
  const startedAt = new Date();
  let session: BootSession;
  try {
    session = BootSession.start({ target: request.target, image: request.image, accel: request.accel, artifactsDir: request.artifactsDir, logMaxBytes: request.logMaxBytes, onMachine: request.onMachine });
  } catch (error) {
    if (!(error instanceof HostError)) throw error;
    const report = notStartedReport(request, startedAt, error.message);
    for (const entry of report.cases) request.onCase?.(entry);
    return report;
  }
  const abort = () => session.abort();
  request.signal?.addEventListener('abort', abort, { once: true });
  let judged: Judged | undefined;
  try {
    judged = await bootAndJudge(session, request);
  } finally {
    request.signal?.removeEventListener('abort', abort);
    // Not a guest problem (a bug): the machine goes all the same.
    if (!judged) await session.stop();
  }
  return finishPhase(session, request, judged, startedAt);
}

/** The boot, then (when a shell answered) the cases and the facts, judged in PID 1's namespaces. */
async function bootAndJudge(session: BootSession, request: RunRequest): Promise<Judged> {
  const { cases, signal, onCase } = request;
  const booted = await bootPhase(session, request.target, cases, signal, onCase);
  if (booted.failure) {
    const notRun = notRunAfterBootFailure(session, cases, booted.failure, onCase);
    return { cases: new Map([...booted.verdicts, ...notRun]), message: booted.failure.message };
  }
  // Judge the system (PID 1's namespaces), not the getty container the console shell may live in.
  const access = await session.enterSystem();
  const system = new BatchedShell(access.system, freshNonce);
  const facts = access.unreachable ? undefined : askSystemFacts(system);
  const shells = { system, console: access.console, unreachable: access.unreachable, hostView: session.hostView(), nonce: freshNonce };
  const verdicts = await judgePhase(session, shells, { ...request, format: request.image.format });
  return { cases: new Map([...booted.verdicts, ...verdicts]), message: access.context.description, facts: await collectFacts(session, facts) };
}
