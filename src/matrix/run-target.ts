// One run: boot one image on one target, find the shell, judge every case, stop the machine.
import { prepareFirmware } from '../qemu/firmware.ts';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CaseDef, notApplicable } from '../config/cases.ts';
import type { Target } from '../config/targets.ts';
import { checkNamed } from '../cases/checks/index.ts';
import type { GuestShell, HostView } from '../cases/check.ts';
import { BatchedShell } from '../cases/batched-shell.ts';
import { decideHostContext, type HostContext, hostContextScript } from '../cases/host-context.ts';
import { hostFactsScript, parseHostFacts } from '../cases/host-facts.ts';
import { describeStall, GuestSpeech, lastBootStage } from '../console/boot-stage.ts';
import { ConsoleEngine } from '../console/engine.ts';
import { ConsoleTimeoutError } from '../console/errors.ts';
import { compileFailurePatterns, firmwareFailurePatterns } from '../console/failure-patterns.ts';
import { FileLogSink, type ConsoleLogSink } from '../console/log-sink.ts';
import { Shell } from '../console/shell.ts';
import { AssertionFailed, HostError, MachineError, writeFailed } from '../errors.ts';
import type { BootFiles } from '../images/boot-files.ts';
import type { AccelChoice } from '../qemu/accel.ts';
import { buildArgv, qmpPath, wirePath } from '../qemu/argv.ts';
import { isPanicEvent, QmpClient, type QmpEvent } from '../qemu/qmp.ts';
import { readCapture } from '../wire/capture.ts';
import { dhcpExchange } from '../wire/dhcp.ts';
import { Machine, makeRunDir, type MachineExit } from '../qemu/machine.ts';
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
}

/** A run whose failure is the infrastructure's (QEMU did not start, no output at all): worth a retry. */
export function isInfrastructureFault(report: RunReport): boolean {
  // A full disk stays full: no retry.
  return report.status === 'error' && !report.hostError && report.cases[0]?.status === 'error' && report.timeline['console-first-byte'] === undefined;
}

const randomMac = () => `52:54:00:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
const nonce = () => randomBytes(6).toString('hex');

function exitText(exit: MachineExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
}

/** Boot `image` on `target` and check `cases`; never throws for guest problems, they become verdicts. */
export async function runTarget(request: RunRequest): Promise<RunReport> {
  const { target, image, cases } = request;
  const runDir = makeRunDir(target.name);
  const mac = randomMac();
  const argv = buildArgv(target, image, { accel: request.accel.accel, mac, runDir });
  const startedAt = new Date();
  // The disk filling up (or failing) while the console log is written ends the run: every verdict
  // left becomes an error naming the file, QEMU is stopped and the report still written.
  let hostError: string | undefined;
  const hostFailed = (error: Error) => {
    hostError ??= error.message;
    engine.end(error.message, { infrastructure: true });
  };
  let log: FileLogSink | undefined;
  try {
    prepareFirmware(target, image, runDir);
    if (request.artifactsDir) {
      mkdirSync(request.artifactsDir, { recursive: true });
      writeArtifact(request.artifactsDir, 'qemu-argv.json', `${JSON.stringify(argv, null, 2)}\n`);
      writeArtifact(request.artifactsDir, 'qemu-cmdline.txt', `${argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}\n`);
      log = new FileLogSink(join(request.artifactsDir, 'console.log'), { maxBytes: request.logMaxBytes, onError: hostFailed });
    }
  } catch (error) {
    rmSync(runDir, { recursive: true, force: true });
    const e = error as NodeJS.ErrnoException & { dest?: string };
    if (!(error instanceof HostError) && !e.code) throw error;
    return notStarted(request, startedAt, argv, error instanceof HostError ? error.message : writeFailed(e.dest ?? e.path ?? runDir, error).message);
  }
  const patterns = compileFailurePatterns([...target.console.failurePatterns, ...(image.bootMedium ? firmwareFailurePatterns : [])]);
  let machine: Machine | undefined;
  let qmp: QmpClient | undefined;
  let qemuFault = false;
  // Watches the console for the guest's own words (not the echo of probes), to tell a hang early and say where.
  const speech = new GuestSpeech();
  const sink: ConsoleLogSink = { write: (text, atMs) => (speech.write(text, atMs), log?.write(text, atMs)) };
  const engine = new ConsoleEngine({ write: (data) => machine?.write(data), log: sink, failurePatterns: patterns });
  const report: RunReport = {
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
    cases: cases.map((c) => ({ id: c.id, title: c.title, status: 'skipped', durationMs: 0, message: 'not run', evidence: '' })),
  };
  const verdict = (index: number, update: Partial<CaseReport>) => {
    const entry = report.cases[index];
    if (!entry) return;
    Object.assign(entry, update);
    request.onCase?.(entry);
  };

  const abort = () => {
    engine.end('interrupted', { infrastructure: false });
    machine?.killNow();
  };
  request.signal?.addEventListener('abort', abort, { once: true });
  // A run that ends before QMP answered stops trying to connect.
  const qmpGiveUp = new AbortController();
  try {
    machine = Machine.start(argv, runDir, (chunk) => engine.push(chunk), target.qemu.package);
    request.onMachine?.(machine);
    // QMP is the host's view for the machine's whole life: a panic QEMU reports fails the run,
    // even when the console says nothing (loglevel=0, quiet) or the panic comes after the last case.
    void QmpClient.connect(qmpPath(runDir), { timeoutMs: 15_000, signal: qmpGiveUp.signal })
      .then((client) => {
        qmp = client;
        const failOnPanic = (event: QmpEvent) => {
          if (isPanicEvent(event)) engine.fail(`QMP ${event.event}`, `QEMU reported ${event.event} ${JSON.stringify(event.data ?? {})}`);
        };
        // Events that came with the handshake, then every later one.
        client.events.forEach(failOnPanic);
        client.onEvent(failOnPanic);
      })
      .catch((error: unknown) => {
        if (!qmpGiveUp.signal.aborted) report.qmp = { error: firstLine(error), events: [] };
      });
    void machine.exited.then((exit) => {
      if (!exit.stoppedByHarness) {
        // Killed or crashed (signal, non-zero status) is the machine's fault; a clean exit is the guest powering off.
        qemuFault = exit.signal !== null || exit.code !== 0;
        const stderr = exit.stderr ? `: ${exit.stderr.split('\n').slice(-3).join(' | ')}` : '';
        engine.end(`QEMU ended with ${exitText(exit)}${stderr}`, { infrastructure: engine.firstByteAtMs === undefined });
      }
    });
    const shell = new Shell(engine);
    const bootIndex = cases.findIndex((c) => c.check === 'boot');
    const bootStart = engine.now();
    let position = engine.position;
    try {
      const typeAfter = target.console.typeAfter;
      if (typeAfter) await waitBeforeTyping(engine, typeAfter, target.timeouts.bootMs);
      const bootLeftMs = typeAfter ? Math.max(1000, Math.round(target.timeouts.bootMs - (engine.now() - bootStart))) : target.timeouts.bootMs;
      const login = target.console.login;
      const found = shell.findShell({
        timeoutMs: bootLeftMs,
        login: login && { promptPattern: new RegExp(login.prompt), user: login.user, password: login.password, passwordPattern: new RegExp(login.passwordPrompt) },
      });
      await (target.timeouts.silenceMs ? raceSilence(engine, speech, found, target.timeouts.silenceMs) : found);
      engine.mark('shell-ready');
      verdict(bootIndex, {
        status: 'passed',
        durationMs: Math.round(engine.now() - bootStart),
        message: `a shell answered on ${target.console.device} after ${((engine.now() - bootStart) / 1000).toFixed(1)} s`,
        evidence: cap(engine.lastLines(15).join('\n')),
        console: cap(engine.slice(position), 64_000),
      });
    } catch (error) {
      const interrupted = request.signal?.aborted;
      // A hang names where the boot stopped and how long the console has been quiet.
      const stall = error instanceof ConsoleTimeoutError ? `; ${describeStall(lastBootStage((p) => engine.search(p) !== undefined), engine.now() - engine.startedAt, speech.lastAtMs)}` : '';
      const message = hostError ?? `${firstLine(error).replace(/; last console lines:$/, '')}${stall}`;
      verdict(bootIndex, {
        // No output at all, or QEMU itself failing, is the infrastructure's fault, not the image's.
        status: interrupted ? 'interrupted' : hostError || (error instanceof MachineError && error.infrastructure) || engine.firstByteAtMs === undefined || qemuFault ? 'error' : 'failed',
        durationMs: Math.round(engine.now() - bootStart),
        message,
        evidence: cap(engine.lastLines(40).join('\n')),
        console: cap(engine.slice(position), 64_000),
      });
      for (const i of cases.keys()) {
        if (i === bootIndex) continue;
        if (interrupted) verdict(i, { status: 'interrupted', message: 'interrupted' });
        else if (hostError) verdict(i, { status: 'error', message: `not run: ${hostError}` });
        else verdict(i, { status: 'skipped', message: `not run: boot ${report.cases[bootIndex]?.status}` });
      }
      report.message = message;
      return report;
    }

    // Judge the host, not the getty container the console shell may live in.
    let context: HostContext = { via: '', description: '' };
    let broken: string | undefined;
    try {
      context = decideHostContext((await shell.run(hostContextScript, { timeoutMs: target.timeouts.commandMs })).output);
      report.message = context.description;
    } catch (error) {
      broken = `the console shell does not run commands: ${firstLine(error)}`;
      report.message = broken;
    }
    // Checks that need the host must not silently judge the console's container instead.
    if (!broken && context.unreachable) broken = context.unreachable;
    const via = context.via ? (inner: string) => `${context.via} ${inner}` : undefined;
    const host: GuestShell = {
      run: (script, options) => shell.run(script, { timeoutMs: options?.timeoutMs ?? target.timeouts.commandMs, via }),
    };
    const hostView: HostView = { mac, readWire: () => readCapture(wirePath(runDir), machine?.startedAt ?? Date.now()) };
    // The cases are judged side by side: their settle windows overlap (a failing image costs one window,
    // not the sum), and the scripts they ask for at the same time go to the guest as one.
    const batched = new BatchedShell(host, nonce);
    const caseStart = engine.now();
    position = engine.position;
    await Promise.all(
      [...cases.entries()].map(async ([index, def]) => {
        if (def.check === 'boot') return;
        const elsewhere = notApplicable(def, target.name, image.format);
        if (elsewhere) {
          verdict(index, { status: 'skipped', message: `not run: ${elsewhere}` });
          return;
        }
        if (broken) {
          // After the guest itself failed (a panic) the rest is not run; that is the image's fault, not an error.
          const status = request.signal?.aborted ? 'interrupted' : engine.failure && !qemuFault && !hostError ? 'skipped' : 'error';
          verdict(index, { status, message: `not run: ${broken}` });
          return;
        }
        const { check } = checkNamed(def.check);
        const settleMs = typeof def.settings.settleMs === 'number' ? def.settings.settleMs : 0;
        const timeoutMs = def.timeoutMs ?? settleMs + target.timeouts.commandMs;
        try {
          if (!check) throw new Error(`check ${def.check} has no judge of its own`);
          const result = await withDeadline(check({ host: batched, hostView, settings: def.settings, settleMs, timeoutMs, nonce, now: () => engine.now() }), timeoutMs, def.id);
          // A fatal event that arrived with the last output (a panic in the same chunk as the end marker) still counts.
          if (engine.failure) throw new MachineError(`${engine.failure.pattern}: ${engine.failure.line}`, false, engine.lastLines());
          verdict(index, {
            status: result.passed ? 'passed' : 'failed',
            message: result.message,
            evidence: cap(result.evidence),
            durationMs: Math.round(engine.now() - caseStart),
            console: cap(engine.slice(position), 64_000),
          });
        } catch (error) {
          verdict(index, {
            status: request.signal?.aborted ? 'interrupted' : engine.failure !== undefined && !qemuFault && !hostError ? 'failed' : 'error',
            message: hostError ?? firstLine(error),
            evidence: cap(engine.lastLines(40).join('\n')),
            durationMs: Math.round(engine.now() - caseStart),
            console: cap(engine.slice(position), 64_000),
          });
          const machineBroke = error instanceof MachineError && !(error instanceof AssertionFailed);
          if (machineBroke || engine.ended) broken = hostError ?? firstLine(error);
        } finally {
          engine.mark(`case:${def.id}`);
        }
      }),
    );
    if (!broken) {
      try {
        const facts = parseHostFacts((await host.run(hostFactsScript)).output);
        report.memory = { usedKiB: facts.usedKiB, rssKiB: facts.rssKiB };
        for (const [name, at] of Object.entries(facts.startedAtS)) report.timeline[`guest:${name}-started`] = Math.round(at * 1000);
        if (facts.uptimeS !== undefined) report.timeline['guest:uptime-at-end'] = Math.round(facts.uptimeS * 1000);
      } catch {
        // Facts are informative only; a failure here changes no verdict.
      }
    }
    if (qmp) {
      try {
        const status = await qmp.queryStatus();
        report.qmp = { ...report.qmp, status: status.status, events: [] };
        if (status.status === 'guest-panicked' || status.status === 'internal-error') engine.fail(`QMP status ${status.status}`, `QEMU reports the machine as ${status.status}`);
      } catch {
        // The machine may have gone already; its events still say why.
      }
    }
    return report;
  } finally {
    request.signal?.removeEventListener('abort', abort);
    qmpGiveUp.abort();
    const keepCapture = () => {
      const capture = readCapture(wirePath(runDir), machine?.startedAt ?? startedAt.getTime());
      const ack = dhcpExchange(capture.records, mac).lease;
      if (ack) report.timeline['dhcp-ack'] = Math.round(ack.ackAtS * 1000);
      if (request.artifactsDir && existsSync(wirePath(runDir))) {
        const pcap = join(request.artifactsDir, 'network.pcap');
        try {
          copyFileSync(wirePath(runDir), pcap);
        } catch (error) {
          hostError ??= writeFailed(pcap, error).message;
        }
      }
    };
    // After a panic, give QEMU a moment to see it too (pvpanic's GUEST_PANICKED, the guest's reset).
    if (engine.failure && machine?.running) await Promise.race([machine.exited, sleep(3000)]);
    const exit = machine ? await machine.stop({ quit: qmp ? () => qmp!.quit() : undefined, beforeCleanup: keepCapture }) : undefined;
    if (qmp) {
      report.qmp = { ...report.qmp, events: qmp.events.map((e) => ({ event: e.event, ...(e.data === undefined ? {} : { data: e.data }) })) };
      qmp.close();
    }
    if (exit) report.qemu.exit = exitText(exit);
    // A panic, an Oops or a crash at any moment until kittest stopped QEMU fails the run, even after the last verdict.
    const failure = engine.failure;
    if (failure && !request.signal?.aborted) {
      report.machineFailure = { what: `${failure.pattern}: ${failure.line}`.slice(0, 500), atMs: Math.round(failure.atMs) };
      report.message = `the guest failed at ${(failure.atMs / 1000).toFixed(1)} s: ${report.machineFailure.what}`;
    }
    if (!machine?.running) engine.end('machine stopped');
    for (const entry of engine.timeline()) report.timeline[entry.name] = Math.round(entry.atMs);
    const kernelInit = engine.search(/\[\s*(\d+\.\d+)\] Run \S+ as init process/);
    if (kernelInit?.captures[0]) report.timeline['guest:init-started'] = Math.round(Number(kernelInit.captures[0]) * 1000);
    await log?.close().catch((error: Error) => (hostError ??= error.message));
    if (hostError) {
      report.hostError = hostError;
      report.message = hostError;
    }
    report.status = runStatus(report.cases, report.machineFailure);
    if (hostError && report.status !== 'interrupted') report.status = 'error';
    report.durationMs = Date.now() - startedAt.getTime();
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

/** Write one artifact file; a failure is a one-line HostError naming it. */
function writeArtifact(dir: string, name: string, text: string): void {
  const file = join(dir, name);
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw writeFailed(file, error);
  }
}

/** The report of a run whose files could not be written before QEMU started: every case is an error. */
function notStarted(request: RunRequest, startedAt: Date, argv: string[], why: string): RunReport {
  const report: RunReport = {
    target: request.target.name,
    image: request.imageInfo,
    accel: request.accel.accel,
    accelReason: request.accel.reason,
    status: 'error',
    attempts: 1,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    message: why,
    hostError: why,
    qemu: { argv },
    timeline: {},
    cases: request.cases.map((c) => ({ id: c.id, title: c.title, status: 'error', durationMs: 0, message: `not run: ${why}`, evidence: '' })),
  };
  for (const entry of report.cases) request.onCase?.(entry);
  return report;
}

/** Call a hang early: reject when the console has printed nothing for `silenceMs` (after its first byte). */
async function raceSilence<T>(engine: ConsoleEngine, speech: GuestSpeech, work: Promise<T>, silenceMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const quietSince = speech.lastAtMs;
      if (quietSince !== undefined && engine.now() - engine.startedAt - quietSince >= silenceMs) {
        reject(new ConsoleTimeoutError(`console output (silent for ${Math.round(silenceMs / 1000)} s, the target's silenceMs)`, silenceMs, engine.lastLines()));
      }
    }, Math.min(1000, silenceMs));
  });
  try {
    return await Promise.race([work, silent]);
  } finally {
    clearInterval(timer);
  }
}

/** Hold typing until the target says the console is safe to type on (see the target schema's typeAfter). */
async function waitBeforeTyping(engine: ConsoleEngine, typeAfter: { pattern: string; orAfterMs: number }, bootMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const fallback = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, typeAfter.orAfterMs - (engine.now() - engine.startedAt)));
  });
  try {
    // A panic or QEMU's end still rejects at once; a timeout here just means "type now".
    const seen = engine.waitFor(new RegExp(typeAfter.pattern), { timeoutMs: bootMs, description: 'the console to be safe to type on' });
    seen.catch(() => {}); // When the fallback wins, a later rejection must not go unhandled.
    await Promise.race([seen.then(() => undefined), fallback]);
  } finally {
    clearTimeout(timer);
  }
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
