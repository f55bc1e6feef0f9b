// kittest as a library: `import { boot } from 'kittest'` boots an image on a target the way
// `kittest run` does (src/boot) and hands back a machine to drive from a test:
//
//   const machine = await boot({ target: 'x86_64' });
//   t.teardown(() => machine.stop());
//   t.regex(await machine.succeed('cat /proc/cmdline'), /console=ttyS0/);
import { prepareBoot } from '../boot/prepare.ts';
import { BootSession, type SystemAccess } from '../boot/session.ts';
import { attachTerminal } from '../boot/terminal.ts';
import type { GuestShell } from '../cases/check.ts';
import type { Target } from '../config/targets.ts';
import type { ConsolePattern } from '../console/engine.ts';
import * as verbs from '../console/verbs.ts';
import type { CommandResult } from '../console/verbs.ts';
import { AssertionFailed, UsageError } from '../errors.ts';
import { dhcpExchange, type WireLease } from '../wire/dhcp.ts';
import { killedWithProcess, stopWithProcess } from './cleanup.ts';

export { AssertionFailed, ConfigError, HostError, KittestError, MachineError, UsageError } from '../errors.ts';
export type { Target } from '../config/targets.ts';
export type { CommandResult } from '../console/verbs.ts';
export type { WireLease } from '../wire/dhcp.ts';

export interface BootRequest {
  /** Target name or alias (`x86_64`, `arm64`, a vendor target's name); default: the first default target. */
  readonly target?: string;
  /** Folders of vendor target files, as `--targets` (a file there may extend a built-in target). */
  readonly targets?: readonly string[];
  /** A LinuxKit output prefix or image file, as `--image`; default: the target's reference image, built if missing. */
  readonly image?: string;
  /** Which format to boot, as `--format`. */
  readonly format?: string;
  /** `auto` (default), `kvm` or `tcg`. */
  readonly accel?: 'auto' | 'kvm' | 'tcg';
  /** Folder for the console log, QEMU command line and network capture. */
  readonly artifactsDir?: string;
  /** Aborting powers the machine off and fails every pending call. */
  readonly signal?: AbortSignal;
}

/** Where a command runs: in PID 1's namespaces (the system, default) or in the console shell itself (the getty container). */
export interface CommandOptions {
  readonly in?: 'host' | 'console';
  /** Default: the target's command timeout. */
  readonly timeoutMs?: number;
}

export interface WaitUntilOptions extends CommandOptions {
  /** Time allowed for retrying, default 60 s. */
  readonly timeoutMs?: number;
  /** Pause between attempts, default 1 s. */
  readonly intervalMs?: number;
}

/** The boot did not reach a shell: the message names where the boot stopped, as `kittest run`'s boot case does. */
export class BootFailed extends Error {
  constructor(
    message: string,
    /** `failed` (the image), `error` (QEMU or the host) or `interrupted`. */
    readonly status: 'failed' | 'error' | 'interrupted',
    /** The last console lines. */
    readonly console: readonly string[],
  ) {
    super(message);
    this.name = 'BootFailed';
  }
}

/** A booted machine. Every method fails at once after a panic or after QEMU ended. */
export class KittestMachine {
  readonly #session: BootSession;
  readonly #access: SystemAccess;
  readonly #forget: () => void;

  /** @internal Made by `boot`; `forget` drops its abort listener and its kill at the program's end. */
  constructor(session: BootSession, access: SystemAccess, forget: () => void) {
    this.#session = session;
    this.#access = access;
    this.#forget = forget;
  }

  /** The target booted, as loaded from its YAML file. */
  get target(): Target {
    return this.#session.target;
  }

  /** The MAC address kittest gave the guest's NIC. */
  get mac(): string {
    return this.#session.mac;
  }

  /** How the console shell reaches the system (e.g. through nsenter from the getty container). */
  get context(): string {
    return this.#access.context.description;
  }

  /** Run `command`; resolves with its status and output whatever the status. */
  async execute(command: string, options: CommandOptions = {}): Promise<CommandResult> {
    const { status, output } = await this.#shell(options).run(command, { timeoutMs: options.timeoutMs });
    return { status, output };
  }

  /** Run `command` and return its output; rejects (AssertionFailed, with the command, status and output as evidence) unless it exits 0. */
  succeed(command: string, options: CommandOptions = {}): Promise<string> {
    return verbs.succeed((c) => this.execute(c, options), command);
  }

  /** Run `command` and return its output; rejects (AssertionFailed, with the evidence) if it exits 0. */
  fail(command: string, options: CommandOptions = {}): Promise<string> {
    return verbs.fail((c) => this.execute(c, options), command);
  }

  /** Run `command` until it exits 0 and return that output; rejects with the last attempt's status and output after `timeoutMs`. */
  waitUntilSucceeds(command: string, options: WaitUntilOptions = {}): Promise<string> {
    return verbs.waitUntilSucceeds((c, timeoutMs) => this.execute(c, { in: options.in, timeoutMs }), command, {
      timeoutMs: options.timeoutMs,
      intervalMs: options.intervalMs,
      attemptTimeoutMs: this.target.timeouts.commandMs,
    });
  }

  /** Wait until the console shows `pattern` (anywhere since the machine started); returns the matched text. */
  async waitForConsole(pattern: ConsolePattern, options: { timeoutMs?: number } = {}): Promise<string> {
    const match = await this.#session.engine.waitFor(pattern, { timeoutMs: options.timeoutMs ?? 60_000 });
    return match.text;
  }

  /** The console's last `n` lines, cleaned of escape sequences. */
  consoleLines(n = 40): string[] {
    return this.#session.engine.lastLines(n);
  }

  /** The DHCP lease the host saw QEMU's server give this machine on the wire, if any. */
  lease(): WireLease | undefined {
    const { records } = this.#session.hostView().readWire();
    return dhcpExchange(records, this.mac).lease;
  }

  /** QEMU's run state over QMP (`running`, `paused`, `guest-panicked`, ...). */
  status(): Promise<string> {
    return this.#session.machineStatus();
  }

  /**
   * Hand the serial console to the person at this terminal until Ctrl-] (to look around a machine
   * while writing a test, as `kittest shell` does); the machine keeps running afterwards. Refused
   * (UsageError) when stdin or stdout is not a terminal: there would be no one to hand it to.
   */
  async shell(): Promise<void> {
    if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError('machine.shell() needs a terminal on stdin and stdout');
    process.stderr.write(`kittest: the console of ${this.target.name}; Ctrl-] returns to the test\n`);
    await attachTerminal(this.#session, { type: '\r' });
  }

  /** Power the machine off and remove its files (the artifacts stay). Safe to call twice. */
  async stop(): Promise<void> {
    await this.#session.stop();
    this.#forget();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #shell(options: CommandOptions): GuestShell {
    if (options.in === 'console') return this.#access.console;
    if (this.#access.unreachable) throw new AssertionFailed(`cannot run commands in PID 1's namespaces: ${this.#access.unreachable}; use { in: 'console' }`);
    return this.#access.system;
  }
}

/**
 * Boot an image on a target and wait until a shell answers on its console: the same steps as
 * `kittest run` (targets and image checked, reference image built if needed, accelerator chosen,
 * QEMU with QMP and the wire capture). Bad input rejects with the same one-line errors
 * (UsageError, ConfigError); a boot that reaches no shell rejects with BootFailed.
 */
export async function boot(request: BootRequest = {}): Promise<KittestMachine> {
  const { target, image, accel } = await prepareBoot({ targetFolders: request.targets, target: request.target, image: request.image, format: request.format, accel: request.accel });
  request.signal?.throwIfAborted();
  const session = BootSession.start({ target, image, accel, artifactsDir: request.artifactsDir });
  // SIGINT, SIGTERM or the program's exit kill the machine, as long as it is not stopped.
  const forgetProcess = stopWithProcess(session);
  const abort = () => session.abort();
  request.signal?.addEventListener('abort', abort, { once: true });
  const forget = () => {
    request.signal?.removeEventListener('abort', abort);
    forgetProcess();
  };
  try {
    await session.waitForShell();
    return new KittestMachine(session, await session.enterSystem(), forget);
  } catch (error) {
    const failure = session.bootFailure(error, (request.signal?.aborted ?? false) || killedWithProcess(session));
    await session.stop();
    forget();
    throw new BootFailed(`boot on ${target.name} ${failure.status}: ${failure.message}`, failure.status, session.engine.lastLines(40));
  }
}
