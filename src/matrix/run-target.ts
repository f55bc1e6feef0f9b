// One run: boot one image on one target (src/boot), judge every case, gather the host facts, stop the machine.
import { randomBytes } from 'node:crypto';
import { BatchedShell } from '../cases/batched-shell.ts';
import { checkNamed } from '../cases/checks/index.ts';
import { hostFactsScript, parseHostFacts } from '../cases/host-facts.ts';
import { BootSession, exitText, writeArtifact } from '../boot/session.ts';
import { type CaseDef, notApplicable } from '../config/cases.ts';
import type { Target } from '../config/targets.ts';
import { AssertionFailed, HostError, MachineError } from '../errors.ts';
import type { BootFiles } from '../images/boot-files.ts';
import type { AccelChoice } from '../qemu/accel.ts';
import type { Machine } from '../qemu/machine.ts';
import { cap, type CaseReport, type RunReport, runStatus } from '../report/model.ts';

export interface RunRequest {
  readonly target: Target;
  readonly image: BootFiles;
  readonly imageInfo: RunReport['image'];
  readonly cases: readonly CaseDef[];
  readonly accel: AccelChoice;
  /** Folder for this run's console log, QEMU command line and report. */
  readonly artifactsDir?: string;
  readonly signal?: AbortSignal;
  /** Called when a case gets its verdict (for live output). */
  readonly onCase?: (report: CaseReport) => void;
  /** Cap of the console log file in bytes (default 16 MiB). */
  readonly logMaxBytes?: number;
  /** Test hook: called with the machine right after QEMU started. */
  readonly onMachine?: (machine: Machine) => void;
  /**
   * `kittest run --keep-failed`: called before the machine is stopped when a case `failed` (not
   * error, skipped or interrupted), the run was not interrupted, and the guest is alive (QEMU
   * running, no panic, no host error). The machine stays up until it resolves; `failed` are the
   * failed cases with their verdicts. What the machine does meanwhile (a panic the person causes,
   * the time spent) does not change the run's report. Resolves with whether it held the machine
   * (with --jobs, only the first failed run is held; the others stop as usual).
   */
  readonly keepFailed?: (session: BootSession, failed: readonly CaseReport[]) => Promise<boolean>;
}

/** A run whose failure is the infrastructure's (QEMU did not start, no output at all): worth a retry. */
export function isInfrastructureFault(report: RunReport): boolean {
  // A full disk stays full: no retry.
  return report.status === 'error' && !report.hostError && report.cases[0]?.status === 'error' && report.timeline['console-first-byte'] === undefined;
}

const nonce = () => randomBytes(6).toString('hex');

/** Boot `image` on `target` and check `cases`; never throws for guest problems, they become verdicts. */
export async function runTarget(request: RunRequest): Promise<RunReport> {
  const { target, image, cases } = request;
  const startedAt = new Date();
  let session: BootSession;
  try {
    session = BootSession.start({ target, image, accel: request.accel, artifactsDir: request.artifactsDir, logMaxBytes: request.logMaxBytes, onMachine: request.onMachine });
  } catch (error) {
    if (!(error instanceof HostError)) throw error;
    return notStarted(request, startedAt, error.message);
  }
  const { engine } = session;
  const report = emptyReport(request, startedAt, [...session.argv], { status: 'skipped', message: 'not run' });
  const verdict = (index: number, update: Partial<CaseReport>) => {
    const entry = report.cases[index];
    if (!entry) return;
    Object.assign(entry, update);
    request.onCase?.(entry);
  };
  const abort = () => session.abort();
  request.signal?.addEventListener('abort', abort, { once: true });
  try {
    const bootIndex = cases.findIndex((c) => c.check === 'boot');
    const bootStart = engine.now();
    let position = engine.position;
    try {
      await session.waitForShell();
      verdict(bootIndex, {
        status: 'passed',
        durationMs: Math.round(engine.now() - bootStart),
        message: `a shell answered on ${target.console.device} after ${((engine.now() - bootStart) / 1000).toFixed(1)} s`,
        evidence: cap(engine.lastLines(15).join('\n')),
        console: cap(engine.slice(position), 64_000),
      });
    } catch (error) {
      const interrupted = request.signal?.aborted ?? false;
      const failure = session.bootFailure(error, interrupted);
      verdict(bootIndex, {
        ...failure,
        durationMs: Math.round(engine.now() - bootStart),
        evidence: cap(engine.lastLines(40).join('\n')),
        console: cap(engine.slice(position), 64_000),
      });
      for (const i of cases.keys()) {
        if (i === bootIndex) continue;
        if (interrupted) verdict(i, { status: 'interrupted', message: 'interrupted' });
        else if (session.hostError) verdict(i, { status: 'error', message: `not run: ${session.hostError}` });
        else verdict(i, { status: 'skipped', message: `not run: boot ${failure.status}` });
      }
      report.message = failure.message;
      return report;
    }

    // Judge the host, not the getty container the console shell may live in.
    const access = await session.enterHost();
    report.message = access.context.description;
    let broken = access.unreachable;
    const hostView = session.hostView();
    // The cases are judged side by side: their settle windows overlap (a failing image costs one window,
    // not the sum), and the scripts they ask for at the same time go to the guest as one.
    const batched = new BatchedShell(access.host, nonce);
    const caseStart = engine.now();
    position = engine.position;
    // The host facts (memory, service start times) go last in the first evidence pass, after the
    // cases' probes, instead of one more round trip at the end. Informative only: a failure here changes no verdict.
    const facts = broken ? undefined : batched.run(hostFactsScript, { position: 'last' }).then((r) => parseHostFacts(r.output)).catch(() => undefined);
    await Promise.all(
      [...cases.entries()].map(async ([index, def]) => {
        if (def.check === 'boot') return;
        const elsewhere = notApplicable(def, target.name, image.format);
        if (elsewhere) {
          verdict(index, { status: 'skipped', notApplicable: true, message: `not run: ${elsewhere}` });
          return;
        }
        if (broken) {
          // After the guest itself failed (a panic) the rest is not run; that is the image's fault, not an error.
          const status = request.signal?.aborted ? 'interrupted' : engine.failure && !session.qemuFault && !session.hostError ? 'skipped' : 'error';
          verdict(index, { status, message: `not run: ${broken}` });
          return;
        }
        const { check } = checkNamed(def.check);
        const settleMs = typeof def.settings.settleMs === 'number' ? def.settings.settleMs : 0;
        const timeoutMs = def.timeoutMs ?? settleMs + target.timeouts.commandMs;
        try {
          if (!check) throw new Error(`check ${def.check} has no judge of its own`);
          const result = await withDeadline(check({ host: batched, console: access.console, hostView, settings: def.settings, settleMs, timeoutMs, nonce, now: () => engine.now() }), timeoutMs, def.id);
          // A fatal event that arrived with the last output (a panic in the same chunk as the end marker) still counts.
          if (engine.failure) throw new MachineError(`${engine.failure.pattern}: ${engine.failure.line}`, false, engine.lastLines());
          verdict(index, {
            status: result.passed ? 'passed' : result.notApplicable ? 'skipped' : 'failed',
            ...(result.notApplicable && !result.passed ? { notApplicable: true as const } : {}),
            message: result.message,
            evidence: cap(result.evidence),
            durationMs: Math.round(engine.now() - caseStart),
            console: cap(engine.slice(position), 64_000),
          });
        } catch (error) {
          verdict(index, {
            status: request.signal?.aborted ? 'interrupted' : engine.failure !== undefined && !session.qemuFault && !session.hostError ? 'failed' : 'error',
            message: session.hostError ?? firstLine(error),
            evidence: cap(engine.lastLines(40).join('\n')),
            durationMs: Math.round(engine.now() - caseStart),
            console: cap(engine.slice(position), 64_000),
          });
          const machineBroke = error instanceof MachineError && !(error instanceof AssertionFailed);
          if (machineBroke || engine.ended) broken = session.hostError ?? firstLine(error);
        } finally {
          engine.mark(`case:${def.id}`);
        }
      }),
    );
    const read = await facts;
    if (read) {
      report.memory = { usedKiB: read.usedKiB, rssKiB: read.rssKiB };
      for (const [name, at] of Object.entries(read.startedAtS)) report.timeline[`guest:${name}-started`] = Math.round(at * 1000);
      if (read.uptimeS !== undefined) report.timeline['guest:uptime-at-facts'] = Math.round(read.uptimeS * 1000);
    }
    if (session.hasQmp) {
      try {
        report.qmp = { ...report.qmp, status: await session.machineStatus(), events: [] };
      } catch {
        // The machine may have gone already; its events still say why.
      }
    }
    return report;
  } finally {
    request.signal?.removeEventListener('abort', abort);
    const kept = await keepFailed(request, session, report);
    const end = await session.stop();
    // QMP events while a person held the machine (a panic they caused, their poweroff) are theirs too.
    const qmpEvents = kept ? end.qmpEvents.filter((e) => e.timestamp.seconds * 1000 + e.timestamp.microseconds / 1000 < kept.since) : end.qmpEvents;
    if (session.qmpError) report.qmp = { ...report.qmp, error: session.qmpError, events: [] };
    if (session.hasQmp) report.qmp = { ...report.qmp, events: qmpEvents.map((e) => ({ event: e.event, ...(e.data === undefined ? {} : { data: e.data }) })) };
    if (end.dhcpAckMs !== undefined) report.timeline['dhcp-ack'] = end.dhcpAckMs;
    if (end.wireCapped) report.wireCapped = end.wireCapped;
    if (end.exit) report.qemu.exit = exitText(end.exit);
    // A panic, an Oops or a crash at any moment until kittest stopped QEMU fails the run, even after the last verdict.
    // A machine handed to a person had none then (or it would not have been kept): what happens while
    // they hold it (a panic they cause, a console line that looks like one) is theirs, not the image's.
    const failure = kept ? undefined : engine.failure;
    if (failure && !request.signal?.aborted) {
      report.machineFailure = { what: `${failure.pattern}: ${failure.line}`.slice(0, 500), atMs: Math.round(failure.atMs) };
      report.message = `the guest failed at ${(failure.atMs / 1000).toFixed(1)} s: ${report.machineFailure.what}`;
    }
    for (const entry of engine.timeline()) report.timeline[entry.name] = Math.round(entry.atMs);
    const kernelInit = engine.search(/\[\s*(\d+\.\d+)\] Run \S+ as init process/);
    if (kernelInit?.captures[0]) report.timeline['guest:init-started'] = Math.round(Number(kernelInit.captures[0]) * 1000);
    const hostError = session.hostError;
    if (hostError) {
      report.hostError = hostError;
      report.message = hostError;
    }
    report.status = runStatus(report.cases, report.machineFailure);
    if (hostError && report.status !== 'interrupted') report.status = 'error';
    // The time a person spent in the console is not the run's.
    report.durationMs = Date.now() - startedAt.getTime() - (kept?.heldMs ?? 0);
    if (request.artifactsDir) {
      try {
        writeArtifact(request.artifactsDir, 'report.json', `${JSON.stringify(report, null, 2)}\n`);
      } catch (error) {
        // The run's own report still reaches --json, --junit and --html.
        if (!report.hostError) report.hostError = report.message = (error as Error).message;
        report.status = 'error';
      }
    }
  }
}

/** Hand a failed run's machine to `request.keepFailed` when it applies: when (epoch ms) and for how long it was held, undefined when it was not. */
async function keepFailed(request: RunRequest, session: BootSession, report: RunReport): Promise<{ since: number; heldMs: number } | undefined> {
  const failed = report.cases.filter((c) => c.status === 'failed');
  const { engine } = session;
  if (!request.keepFailed || failed.length === 0 || request.signal?.aborted) return undefined;
  // A crashed guest has no console to type into; a machine QEMU no longer runs has nothing to hold.
  if (!session.machine.running || engine.failure || engine.ended || session.hostError) return undefined;
  const since = Date.now();
  const at = engine.now();
  let held = true;
  try {
    held = await request.keepFailed(session, failed);
  } catch {
    // The person's console failing must not cost the run its report; the hook says what went wrong.
  }
  // A run the hook passed over (another machine is held) was never the person's: its report,
  // a crash after its last verdict included, stays the image's.
  if (!held) return undefined;
  engine.mark('console-kept', at);
  return { since, heldMs: Date.now() - since };
}

/** A run's report before anything happened: every case with the same status and message. */
function emptyReport(request: RunRequest, startedAt: Date, argv: string[], each: Pick<CaseReport, 'status' | 'message'>): RunReport {
  const { target } = request;
  return {
    target: target.name,
    image: request.imageInfo,
    accel: request.accel.accel,
    accelReason: request.accel.reason,
    status: 'error',
    attempts: 1,
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    qemu: { argv, ...(target.qemu.unsafe ? { unsafe: target.qemu.unsafe.reason } : {}) },
    timeline: {},
    cases: request.cases.map((c) => ({ id: c.id, title: c.title, ...each, durationMs: 0, evidence: '' })),
  };
}

/** The report of a run whose files could not be written before QEMU started: every case is an error. */
function notStarted(request: RunRequest, startedAt: Date, why: string): RunReport {
  const report: RunReport = {
    ...emptyReport(request, startedAt, [], { status: 'error', message: `not run: ${why}` }),
    durationMs: Date.now() - startedAt.getTime(),
    message: why,
    hostError: why,
  };
  for (const entry of report.cases) request.onCase?.(entry);
  return report;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`case ${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
