// Phase 4 of a run: stop the machine (after a person held it, with --keep-failed), read how it ended,
// and assemble the run's report from what every phase returned; report.json goes into the artifacts.
import { type BootEnd, type BootSession, exitText, writeArtifact } from '../../boot/session.ts';
import type { CaseDef } from '../../cases/case-files.ts';
import type { Target } from '../../config/targets.ts';
import type { TimelineEntry } from '../../console/engine.ts';
import type { AccelChoice } from '../../qemu/accel.ts';
import type { CaseReport, RunReport } from '../../report/model.ts';
import { finishedRunStatus, hostFailedRunStatus, notStarted } from '../../report/status.ts';
import type { RunFacts } from './facts.ts';
import { type Kept, keepFailed, type KeepFailed } from './keep-failed.ts';
import { notRun } from './machine.ts';

/** What the report says about the run before anything happened. */
interface RunBasics {
  readonly target: Target;
  readonly imageInfo: RunReport['image'];
  readonly cases: readonly CaseDef[];
  readonly accel: AccelChoice;
}

/** What the boot and judge phases returned. */
export interface Judged {
  /** Verdicts by case index; a case without one stays "not run". */
  readonly cases: ReadonlyMap<number, CaseReport>;
  /** The run's message: why the boot failed, or how the console shell reaches PID 1. */
  readonly message: string;
  readonly facts?: RunFacts;
}

/** How the machine ended, read from the session once it stopped. */
export interface MachineEnd {
  readonly exit?: string;
  readonly hasQmp: boolean;
  readonly qmpError?: string;
  readonly qmpEvents: readonly { event: string; data?: unknown }[];
  readonly dhcpAckMs?: number;
  readonly wireCapped?: string;
  /** A panic, an Oops or a crash the run is failed for (none while a person held the machine, none when interrupted); `atMs` unrounded. */
  readonly failure?: { readonly what: string; readonly atMs: number };
  /** The console engine's named moments. */
  readonly timeline: readonly TimelineEntry[];
  /** When the kernel ran init, by its own clock. */
  readonly kernelInitMs?: number;
  readonly hostError?: string;
}

export interface FinishRequest extends RunBasics {
  readonly artifactsDir?: string;
  readonly signal?: AbortSignal;
  readonly keepFailed?: KeepFailed;
}

/** Hand a failed machine to a person when asked, stop it, and assemble the run's report (saved as report.json in the artifacts). */
export async function finishPhase(session: BootSession, request: FinishRequest, judged: Judged, startedAt: Date): Promise<RunReport> {
  const base = emptyReport(request, startedAt, [...session.argv]);
  const kept = await keepFailed(request.keepFailed, session, judgedCases(base, judged).filter((c) => c.status === 'failed'), request.signal);
  const end = await session.stop();
  // The time a person spent in the console is not the run's.
  const report = assembleReport(base, judged, machineEnd(session, end, kept, request.signal), Date.now() - startedAt.getTime() - (kept?.heldMs ?? 0));
  return request.artifactsDir ? saveReport(request.artifactsDir, report) : report;
}

/** Read how the machine ended from the stopped session. */
function machineEnd(session: Pick<BootSession, 'engine' | 'hasQmp' | 'qmpError' | 'hostError'>, end: BootEnd, kept: Kept | undefined, signal: AbortSignal | undefined): MachineEnd {
  const { engine } = session;
  // QMP events while a person held the machine (a panic they caused, their poweroff) are theirs too.
  const qmpEvents = kept ? end.qmpEvents.filter((e) => e.timestamp.seconds * 1000 + e.timestamp.microseconds / 1000 < kept.since) : end.qmpEvents;
  // A panic, an Oops or a crash at any moment until kittest stopped QEMU fails the run, even after the last verdict.
  // A machine handed to a person had none then (or it would not have been kept): what happens while
  // they hold it (a panic they cause, a console line that looks like one) is theirs, not the image's.
  const failure = kept || signal?.aborted ? undefined : engine.failure;
  const kernelInit = engine.search(/\[\s*(\d+\.\d+)\] Run \S+ as init process/)?.captures[0];
  return {
    ...(end.exit ? { exit: exitText(end.exit) } : {}),
    hasQmp: session.hasQmp,
    ...(session.qmpError ? { qmpError: session.qmpError } : {}),
    qmpEvents: qmpEvents.map((e) => ({ event: e.event, ...(e.data === undefined ? {} : { data: e.data }) })),
    ...(end.dhcpAckMs === undefined ? {} : { dhcpAckMs: end.dhcpAckMs }),
    ...(end.wireCapped ? { wireCapped: end.wireCapped } : {}),
    ...(failure ? { failure: { what: `${failure.pattern}: ${failure.line}`.slice(0, 500), atMs: failure.atMs } } : {}),
    timeline: engine.timeline(),
    ...(kernelInit ? { kernelInitMs: Math.round(Number(kernelInit) * 1000) } : {}),
    ...(session.hostError ? { hostError: session.hostError } : {}),
  };
}

/** The run's report from what the phases returned and how the machine ended; its status by the one policy (src/report/status.ts). */
export function assembleReport(base: RunReport, judged: Judged, ended: MachineEnd, durationMs: number): RunReport {
  const report: RunReport = { ...base, qemu: { ...base.qemu }, timeline: { ...judged.facts?.timeline }, cases: judgedCases(base, judged) };
  report.message = judged.message;
  if (judged.facts?.memory) report.memory = judged.facts.memory;
  if (judged.facts?.qmpStatus !== undefined) report.qmp = { status: judged.facts.qmpStatus, events: [] };
  if (ended.qmpError) report.qmp = { ...report.qmp, error: ended.qmpError, events: [] };
  if (ended.hasQmp) report.qmp = { ...report.qmp, events: [...ended.qmpEvents] };
  if (ended.dhcpAckMs !== undefined) report.timeline['dhcp-ack'] = ended.dhcpAckMs;
  if (ended.wireCapped) report.wireCapped = ended.wireCapped;
  if (ended.exit) report.qemu.exit = ended.exit;
  if (ended.failure) {
    report.machineFailure = { what: ended.failure.what, atMs: Math.round(ended.failure.atMs) };
    report.message = `the guest failed at ${(ended.failure.atMs / 1000).toFixed(1)} s: ${ended.failure.what}`;
  }
  for (const entry of ended.timeline) report.timeline[entry.name] = Math.round(entry.atMs);
  if (ended.kernelInitMs !== undefined) report.timeline['guest:init-started'] = ended.kernelInitMs;
  if (ended.hostError) {
    report.hostError = ended.hostError;
    report.message = ended.hostError;
  }
  report.status = finishedRunStatus(report.cases, report.machineFailure, ended.hostError);
  report.durationMs = durationMs;
  return report;
}

/** Write report.json into the artifacts; a failure to is the host's error, and the run's. */
export function saveReport(artifactsDir: string, report: RunReport): RunReport {
  try {
    writeArtifact(artifactsDir, 'report.json', `${JSON.stringify(report, null, 2)}\n`);
  } catch (error) {
    // The run's own report still reaches --json, --junit and --html.
    if (!report.hostError) report.hostError = report.message = (error as Error).message;
    report.status = hostFailedRunStatus;
  }
  return report;
}

/** A run's report before anything happened: every case with the same status and message. */
export function emptyReport(basics: RunBasics, startedAt: Date, argv: string[], each?: Pick<CaseReport, 'status' | 'message'>): RunReport {
  const { target } = basics;
  return {
    target: target.name,
    image: basics.imageInfo,
    accel: basics.accel.accel,
    accelReason: basics.accel.reason,
    status: 'error',
    attempts: 1,
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    qemu: { argv, ...(target.qemu.unsafe ? { unsafe: target.qemu.unsafe.reason } : {}) },
    timeline: {},
    cases: basics.cases.map((c) => notRun(c, each)),
  };
}

/** The report of a run whose files could not be written before QEMU started: every case is an error. */
export function notStartedReport(basics: RunBasics, startedAt: Date, why: string): RunReport {
  const base = emptyReport(basics, startedAt, [], notStarted(why));
  return {
    ...base,
    status: finishedRunStatus(base.cases, undefined, why),
    durationMs: Date.now() - startedAt.getTime(),
    message: why,
    hostError: why,
  };
}

function judgedCases(base: RunReport, judged: Judged): CaseReport[] {
  return base.cases.map((c, i) => judged.cases.get(i) ?? c);
}
