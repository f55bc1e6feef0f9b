// One way to boot a machine: its private folder, QEMU's command line and firmware, the QEMU
// process, the console engine and its log, QMP for the machine's whole life, the wire capture,
// and a stop that leaves nothing behind on every exit path. `kittest run`, `kittest shell`, the
// benchmark's harness runs and the TypeScript API all boot through here.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestShell, HostView } from '../cases/check.ts';
import { decideSystemContext, type SystemContext, systemContextScript, viaWrapper } from './system-context.ts';
import type { Target } from '../config/targets.ts';
import { describeStall, GuestSpeech, lastBootStage } from '../console/boot-stage.ts';
import { ConsoleEngine } from '../console/engine.ts';
import { ConsoleTimeoutError } from '../console/errors.ts';
import { compileFailurePatterns, firmwareFailurePatterns } from '../console/failure-patterns.ts';
import { type ConsoleLogSink, FileLogSink } from '../console/log-sink.ts';
import type { ViaWrapper } from '../console/framing.ts';
import { Shell } from '../console/shell.ts';
import { firstLine, HostError, MachineError, writeFailed } from '../errors.ts';
import type { BootFiles } from '../images/boot-files.ts';
import type { AccelChoice } from '../qemu/accel.ts';
import { buildArgv, qmpPath, wireFilters, wirePaths } from '../qemu/argv.ts';
import { prepareFirmware } from '../qemu/firmware.ts';
import { Machine, type MachineExit, makeRunDir, type ProcessTimes } from '../qemu/machine.ts';
import { randomMac } from '../qemu/mac.ts';
import { isPanicEvent, QmpClient, type QmpEvent } from '../qemu/qmp.ts';
import { bootFailureStatus } from '../report/status.ts';
import { WireCapture } from '../wire/capture.ts';
import { dhcpExchange } from '../wire/dhcp.ts';
import { boundedRegex } from '../util/bounded-regex.ts';
import { makeFolders } from '../util/make-folders.ts';
import { shellArg } from '../util/shell-quote.ts';
import { withDeadline } from '../util/deadline.ts';

interface BootOptions {
  readonly target: Target;
  readonly image: BootFiles;
  readonly accel: AccelChoice;
  /** Folder for qemu-argv.json, qemu-cmdline.txt, console.log and network.pcap. */
  readonly artifactsDir?: string;
  /** The console log somewhere other than artifactsDir/console.log (kittest shell --log). */
  readonly consoleLog?: string;
  /** Cap of the console log file in bytes (default 16 MiB). */
  readonly logMaxBytes?: number;
  /**
   * A console log or artifact write failed (a full disk). By default that ends the console: every
   * wait fails with the message, which `hostError` keeps. An interactive session may warn instead.
   */
  readonly onLogError?: (error: Error) => void;
  /** Test hook: called with the QEMU process right after it started. */
  readonly onMachine?: (machine: Machine) => void;
}

/** How the boot ended when no shell answered: the boot case's verdict. */
export interface BootFailure {
  readonly status: 'failed' | 'error' | 'interrupted';
  readonly message: string;
}

/** How scripts reach the guest: in PID 1's namespaces (its system) and in the console shell itself. */
export interface SystemAccess {
  readonly context: SystemContext;
  /** Scripts run in PID 1's namespaces (through nsenter when the console shell is in a container). */
  readonly system: GuestShell;
  /** Scripts run in the console shell itself. */
  readonly console: GuestShell;
  /** Why the host cannot be reached from the console (no nsenter, a shell of its own PID namespace, a dead shell). */
  readonly unreachable?: string;
}

/** What stopping the machine left to report. */
export interface BootEnd {
  readonly exit?: MachineExit;
  readonly qmpEvents: readonly QmpEvent[];
  /** The DHCP ACK the host saw for the guest's MAC, ms since QEMU started. */
  readonly dhcpAckMs?: number;
  /** The wire capture passed its cap and was stopped: when, in one line (a host-side fact, not a verdict). */
  readonly wireCapped?: string;
}

export function exitText(exit: MachineExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
}

/** Write one artifact file; a failure is a one-line HostError naming it. */
export function writeArtifact(dir: string, name: string, text: string): void {
  const file = join(dir, name);
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw writeFailed(file, error);
  }
}

/** A machine booting or booted under kittest. Make one with `BootSession.start`, end it with `stop`. */
export class BootSession {
  readonly target: Target;
  readonly image: BootFiles;
  readonly mac: string;
  readonly runDir: string;
  readonly argv: readonly string[];
  readonly engine: ConsoleEngine;
  readonly shell: Shell;
  readonly machine: Machine;
  /** The guest's own words on the console (not the echo of probes): tells a hang early and where. */
  readonly speech = new GuestSpeech();
  /** The first console log or artifact write that failed (a full disk), when that ended the console. */
  hostError: string | undefined;
  /** QEMU itself failed (killed, or a non-zero exit status) rather than the guest powering off. */
  qemuFault = false;
  /** Why QMP never answered, if it did not. */
  qmpError: string | undefined;
  #qmp: QmpClient | undefined;
  readonly #qmpGiveUp = new AbortController();
  readonly #capture: WireCapture;
  readonly #captureWatch: NodeJS.Timeout;
  readonly #log: FileLogSink | undefined;
  readonly #artifactsDir: string | undefined;
  readonly #taps = new Set<(chunk: Buffer) => void>();
  #stopped: Promise<BootEnd> | undefined;

  private constructor(options: BootOptions, runDir: string, argv: string[], mac: string, log: FileLogSink | undefined) {
    const { target, image } = options;
    this.target = target;
    this.image = image;
    this.runDir = runDir;
    this.argv = argv;
    // The MAC kittest generated, never one read back from the command line (the kernel's may name another).
    this.mac = mac;
    this.#log = log;
    this.#artifactsDir = options.artifactsDir;
    const patterns = compileFailurePatterns([...target.console.failurePatterns, ...(image.bootMedium ? firmwareFailurePatterns : [])]);
    const sink: ConsoleLogSink = { write: (text, atMs) => (this.speech.write(text, atMs), log?.write(text, atMs)) };
    this.engine = new ConsoleEngine({ write: (data) => this.machine?.write(data), log: sink, failurePatterns: patterns });
    this.shell = new Shell(this.engine);
    this.machine = Machine.start(
      argv,
      runDir,
      (chunk) => {
        for (const tap of this.#taps) tap(chunk);
        this.engine.push(chunk);
      },
      target.qemu.package,
    );
    options.onMachine?.(this.machine);
    this.#capture = new WireCapture(wirePaths(runDir), this.machine.startedAt);
    this.#captureWatch = setInterval(() => this.#watchCapture(), 250);
    this.#captureWatch.unref();
    this.#watchQmp();
    void this.machine.exited.then((exit) => {
      if (exit.stoppedByHarness) return;
      // Killed or crashed (signal, non-zero status) is the machine's fault; a clean exit is the guest powering off.
      this.qemuFault = exit.signal !== null || exit.code !== 0;
      const stderr = exit.stderr ? `: ${exit.stderr.split('\n').slice(-3).join(' | ')}` : '';
      this.engine.end(`QEMU ended with ${exitText(exit)}${stderr}`, { infrastructure: this.engine.firstByteAtMs === undefined });
    });
  }

  /**
   * Make the run folder, write the command line into the artifacts and start QEMU. A file that
   * cannot be written before QEMU starts (firmware vars, an artifact) is a HostError, with nothing left behind.
   */
  static start(options: BootOptions): BootSession {
    const { target, image } = options;
    const runDir = makeRunDir(target.name);
    const mac = randomMac();
    const argv = buildArgv(target, image, { accel: options.accel.accel, mac, runDir });
    let session: BootSession | undefined;
    // The disk filling up (or failing) while the console log is written ends the console by default:
    // every verdict left becomes an error naming the file.
    const logError = (error: Error) => {
      if (options.onLogError) return options.onLogError(error);
      if (session) session.#hostFailed(error.message);
    };
    let log: FileLogSink | undefined;
    try {
      prepareFirmware(target, image, runDir);
      if (options.artifactsDir) {
        makeFolders(options.artifactsDir);
        writeArtifact(options.artifactsDir, 'qemu-argv.json', `${JSON.stringify(argv, null, 2)}\n`);
        writeArtifact(options.artifactsDir, 'qemu-cmdline.txt', `${argv.map(shellArg).join(' ')}\n`);
      }
      const logFile = options.consoleLog ?? (options.artifactsDir ? join(options.artifactsDir, 'console.log') : undefined);
      if (logFile) log = new FileLogSink(logFile, { maxBytes: options.logMaxBytes, onError: (error) => logError(error) });
      session = new BootSession(options, runDir, argv, mac, log);
      return session;
    } catch (error) {
      rmSync(runDir, { recursive: true, force: true });
      void log?.close().catch(() => {});
      const e = error as NodeJS.ErrnoException & { dest?: string };
      if (error instanceof HostError || !e.code) throw error;
      throw writeFailed(e.dest ?? e.path ?? runDir, error);
    }
  }

  // QMP is the host's view for the machine's whole life: a panic QEMU reports fails the run,
  // even when the console says nothing (loglevel=0, quiet) or the panic comes after the last case.
  #watchQmp(): void {
    void QmpClient.connect(qmpPath(this.runDir), { timeoutMs: 15_000, signal: this.#qmpGiveUp.signal })
      .then((client) => {
        this.#qmp = client;
        const failOnPanic = (event: QmpEvent) => {
          if (isPanicEvent(event)) this.engine.fail(`QMP ${event.event}`, `QEMU reported ${event.event} ${JSON.stringify(event.data ?? {})}`);
        };
        // Events that came with the handshake, then every later one.
        client.events.forEach(failOnPanic);
        client.onEvent(failOnPanic);
      })
      .catch((error: unknown) => {
        // A run that ends before QMP answered stops trying to connect; that is no error.
        if (!this.#qmpGiveUp.signal.aborted) this.qmpError = firstLine(error);
      });
  }

  /**
   * The capture's two host-side limits, checked every 250 ms and before the capture is read. QEMU
   * cannot stop a capture by itself: past the cap kittest removes both filters over QMP.
   */
  #watchCapture(): void {
    this.#checkCaptureWritten();
    if (!this.#markIfCapped()) return;
    const qmp = this.#qmp;
    const stopped = qmp ? Promise.all(Object.values(wireFilters).map(({ id }) => qmp.execute('object-del', { id }))) : Promise.reject(new Error('QMP does not answer'));
    stopped.catch((error: unknown) => this.#hostFailed(`the wire capture passed its cap and could not be stopped: ${firstLine(error)}`));
  }

  /** A full disk under the capture (QEMU says so and stops that file) is the host's error, as for the console log. */
  #checkCaptureWritten(): void {
    if (!this.hostError && this.machine.stderr.includes('network dump write error')) {
      this.#hostFailed(`QEMU could not write the wire capture in ${this.runDir} (network dump write error; is ${tmpdir()} full?)`);
    }
  }

  /** Mark the capture capped once its files pass the cap; true the first time. */
  #markIfCapped(): boolean {
    const capture = this.#capture;
    if (capture.capped || capture.bytesOnDisk() <= capture.capBytes) return false;
    const atS = ((Date.now() - this.machine.startedAt) / 1000).toFixed(1);
    capture.markCapped(`the wire capture passed its cap of ${capture.capBytes / 1024 / 1024} MiB at ${atS} s and was stopped; later frames are not recorded`);
    return true;
  }

  /** The host failed the run (a full disk): every verdict left becomes an error naming why. */
  #hostFailed(message: string): void {
    this.hostError ??= message;
    this.engine.end(message, { infrastructure: true });
  }

  /**
   * Also give every byte the guest writes from now on to `listener` (a terminal attached to a
   * machine already booted, see src/boot/terminal.ts); returns the function that stops it.
   */
  tapOutput(listener: (chunk: Buffer) => void): () => void {
    this.#taps.add(listener);
    return () => void this.#taps.delete(listener);
  }

  /** Whether QMP answered (and so `machineStatus` can). */
  get hasQmp(): boolean {
    return this.#qmp !== undefined;
  }

  /** QEMU's run state over QMP; a guest-panicked or internal-error state fails the console as a panic would. */
  async machineStatus(): Promise<string> {
    if (!this.#qmp) throw new Error('QMP does not answer in this run');
    const { status } = await this.#qmp.queryStatus();
    if (status === 'guest-panicked' || status === 'internal-error') this.engine.fail(`QMP status ${status}`, `QEMU reports the machine as ${status}`);
    return status;
  }

  /** Ctrl-C or a test's abort: the console ends and QEMU is killed at once. */
  abort(reason = 'interrupted'): void {
    this.engine.end(reason, { infrastructure: false });
    this.machine.killNow();
  }

  /**
   * Wait until a shell answers on the console: after the target's typeAfter pattern, logging in
   * where the target says so, within its boot timeout, calling a hang early after its silenceMs.
   */
  async waitForShell(): Promise<void> {
    const { target, engine } = this;
    const bootStart = engine.now();
    const typeAfter = target.console.typeAfter;
    if (typeAfter) await waitBeforeTyping(engine, typeAfter, target.timeouts.bootMs);
    const bootLeftMs = typeAfter ? Math.max(1000, Math.round(target.timeouts.bootMs - (engine.now() - bootStart))) : target.timeouts.bootMs;
    const login = target.console.login;
    const found = this.shell.findShell({
      timeoutMs: bootLeftMs,
      login: login && { promptPattern: boundedRegex(login.prompt), user: login.user, password: login.password, passwordPattern: boundedRegex(login.passwordPrompt) },
    });
    const idleMs = target.timeouts.idleMs ?? defaultIdleMs;
    const watched = idleMs > 0 ? raceIdle(engine, this.speech, () => this.machine.times(), found, idleMs) : found;
    await (target.timeouts.silenceMs ? raceSilence(engine, this.speech, watched, target.timeouts.silenceMs) : watched);
    engine.mark('shell-ready');
  }

  /** The boot case's verdict for an error from `waitForShell`: a hang names where the boot stopped. */
  bootFailure(error: unknown, interrupted: boolean): BootFailure {
    const { engine } = this;
    const stall = error instanceof ConsoleTimeoutError ? `; ${describeStall(lastBootStage((p) => engine.search(p) !== undefined), engine.now() - engine.startedAt, this.speech.lastAtMs)}` : '';
    const message = this.hostError ?? `${firstLine(error).replace(/; last console lines:$/, '')}${stall}`;
    const status = bootFailureStatus({
      interrupted,
      hostError: this.hostError,
      consoleLost: error instanceof MachineError && error.infrastructure,
      noOutput: engine.firstByteAtMs === undefined,
      qemuFault: this.qemuFault,
    });
    return { status, message };
  }

  /**
   * Find out how the console shell reaches the host (LinuxKit's getty runs in a container) and
   * return shells for both. Checks that need the host must not silently judge the console's container.
   */
  async enterSystem(): Promise<SystemAccess> {
    const commandMs = this.target.timeouts.commandMs;
    const shellVia = (way: { via?: ViaWrapper; gzip: boolean }): GuestShell => ({
      run: (script, options) => this.shell.run(script, { timeoutMs: options?.timeoutMs ?? commandMs, ...way }),
    });
    let context: SystemContext;
    try {
      context = decideSystemContext((await this.shell.run(systemContextScript, { timeoutMs: commandMs })).output);
    } catch (error) {
      const reason = `the console shell does not run commands: ${firstLine(error)}`;
      const console = shellVia({ gzip: false });
      return { context: { via: '', description: reason, unreachable: reason, gzip: false }, system: console, console, unreachable: reason };
    }
    const { gzip } = context;
    const console = shellVia({ gzip });
    const via = viaWrapper(context.via);
    const system = via ? shellVia({ via, gzip }) : console;
    return { context, system, console, ...(context.unreachable ? { unreachable: context.unreachable } : {}) };
  }

  /** What the host itself observes: the wire capture so far and QEMU's run state. */
  hostView(): HostView {
    return {
      mac: this.mac,
      readWire: () => {
        // Judge nothing from a capture the host failed to write.
        if (this.machine.running) this.#watchCapture();
        if (this.hostError) throw new MachineError(this.hostError, true);
        return this.#capture.read();
      },
      machineStatus: () => this.machineStatus(),
    };
  }

  /**
   * Power the machine off and clean up: after a panic QEMU gets a moment to see it too, then QMP
   * `quit` (SIGTERM, SIGKILL if it lingers), the capture copied into the artifacts, the run folder
   * removed, the console log closed. Safe to call more than once; later calls return the same end.
   */
  stop(): Promise<BootEnd> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<BootEnd> {
    const { engine, machine } = this;
    this.#qmpGiveUp.abort();
    clearInterval(this.#captureWatch);
    let dhcpAckMs: number | undefined;
    const keepCapture = () => {
      // QEMU has ended: its stderr and the files are final.
      this.#checkCaptureWritten();
      this.#markIfCapped();
      const ack = dhcpExchange(this.#capture.read().records, this.mac).lease;
      if (ack) dhcpAckMs = Math.round(ack.ackAtS * 1000);
      if (this.#artifactsDir && Object.values(wirePaths(this.runDir)).some((file) => existsSync(file))) {
        // Both directions in one file, in time order, as Wireshark reads it.
        const pcap = join(this.#artifactsDir, 'network.pcap');
        try {
          writeFileSync(pcap, this.#capture.merged());
        } catch (error) {
          this.hostError ??= writeFailed(pcap, error).message;
        }
      }
    };
    // After a panic, give QEMU a moment to see it too (pvpanic's GUEST_PANICKED, the guest's reset).
    if (engine.failure && machine.running) await withDeadline(machine.exited, 3000, () => undefined);
    const qmp = this.#qmp;
    const exit = await machine.stop({ quit: qmp ? () => qmp.quit() : undefined, beforeCleanup: keepCapture });
    const qmpEvents = qmp ? [...qmp.events] : [];
    qmp?.close();
    if (!machine.running) engine.end('machine stopped');
    await this.#log?.close().catch((error: Error) => (this.hostError ??= error.message));
    const wireCapped = this.#capture.capped;
    return { exit, qmpEvents, ...(dhcpAckMs === undefined ? {} : { dhcpAckMs }), ...(wireCapped ? { wireCapped } : {}) };
  }
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

/** How long a silent, idle guest is given before its boot is called hung (targets' timeouts.idleMs). */
export const defaultIdleMs = 20_000;

/** Below this share of one CPU, QEMU is running a guest that waits (a busy TCG guest takes a whole core). */
export const idleCpuShare = 0.05;

/**
 * At or above this share of the time running or waiting on a run queue, QEMU is not idle but starved
 * by a loaded host (runnable nearly all the time). An idle QEMU on a loaded host still waits a little
 * at each timer wake-up, well under this.
 */
export const starvedShare = 0.5;

/** One reading of QEMU's times, at `atMs` on the engine clock. */
export interface TimesSample {
  readonly atMs: number;
  readonly cpuMs: number;
  readonly waitMs: number;
}

/**
 * Whether QEMU was idle over the last `windowMs` (samples oldest first): true when the samples span
 * the window, QEMU used under idleCpuShare of a CPU, and it was not starved (ran or waited to run
 * under starvedShare of the time).
 */
export function idleOver(samples: readonly TimesSample[], nowMs: number, windowMs: number): { idle: boolean; cpuShare?: number; waitShare?: number } {
  const from = [...samples].reverse().find((s) => s.atMs <= nowMs - windowMs);
  const last = samples.at(-1);
  if (!from || !last || last.atMs <= from.atMs) return { idle: false };
  const span = last.atMs - from.atMs;
  const cpuShare = (last.cpuMs - from.cpuMs) / span;
  const waitShare = (last.waitMs - from.waitMs) / span;
  return { idle: cpuShare < idleCpuShare && cpuShare + waitShare < starvedShare, cpuShare, waitShare };
}

/**
 * Call a hang early: reject once the kernel has started and the console has printed nothing for
 * `idleMs` while QEMU itself used almost no CPU in that time and was not starved of it (an idle
 * guest, waiting forever). A slow boot under emulation keeps QEMU busy, and one starved by a loaded
 * host keeps it waiting for a CPU, so neither is called here, however quiet its console.
 */
async function raceIdle<T>(engine: ConsoleEngine, speech: GuestSpeech, times: () => ProcessTimes | undefined, work: Promise<T>, idleMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const samples: TimesSample[] = [];
  const idle = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = engine.now() - engine.startedAt;
      const read = times();
      if (read === undefined) return;
      samples.push({ atMs: now, ...read });
      while (samples.length > 2 && samples[1]!.atMs <= now - idleMs) samples.shift();
      const quietSince = speech.lastAtMs;
      if (quietSince === undefined || now - quietSince < idleMs) return;
      if (lastBootStage((p) => engine.search(p) !== undefined) === 'firmware') return;
      const { idle: waiting, cpuShare, waitShare } = idleOver(samples, now, idleMs);
      if (waiting) {
        const percent = (share: number | undefined) => `${((share ?? 0) * 100).toFixed(1)}%`;
        reject(new ConsoleTimeoutError(`console output (silent for ${Math.round((now - quietSince) / 1000)} s while QEMU used ${percent(cpuShare)} of a CPU and waited for one ${percent(waitShare)} of the time: the guest is idle, waiting for what will not come)`, idleMs, engine.lastLines()));
      }
    }, 1000);
  });
  try {
    return await Promise.race([work, idle]);
  } finally {
    clearInterval(timer);
  }
}

/** Hold typing until the target says the console is safe to type on (see the target schema's typeAfter). */
async function waitBeforeTyping(engine: ConsoleEngine, typeAfter: { pattern: string; orAfterMs: number }, bootMs: number): Promise<void> {
  const fallbackMs = typeAfter.orAfterMs - (engine.now() - engine.startedAt);
  // A panic or QEMU's end still rejects at once; a timeout here just means "type now".
  const seen = engine.waitFor(boundedRegex(typeAfter.pattern), { timeoutMs: bootMs, description: 'the console to be safe to type on' });
  seen.catch(() => {}); // When the fallback wins, a later rejection must not go unhandled.
  await withDeadline(seen, fallbackMs, () => undefined);
}
