// The shell driver: finds a shell on the console without trusting any banner or
// prompt, runs framed commands on it, and offers the machine verbs (succeed, fail, waitUntilSucceeds; ./verbs.ts).
import { UsageError } from '../errors.ts';
import { consoleDefaults } from './defaults.ts';
import type { ConsoleEngine, ConsolePattern } from './engine.ts';
import { ConsoleTimeoutError, FrameError } from './errors.ts';
import { withoutPrintk, decodeFrame, frameCommand, freshNonce, gappedMarker, type ViaWrapper } from './framing.ts';
import * as verbs from './verbs.ts';
import { scriptSummary, type CommandResult } from './verbs.ts';

/** Log in when a login prompt shows up (a getty with login instead of a shell). */
interface LoginOptions {
  readonly promptPattern: ConsolePattern;
  readonly user: string;
  readonly password?: string;
  /** Default /[Pp]assword:/. */
  readonly passwordPattern?: ConsolePattern;
}

/** Options of findShell. */
interface FindShellOptions {
  readonly timeoutMs?: number;
  readonly probeEveryMs?: number;
  readonly login?: LoginOptions;
}

/** Options of run, succeed and fail. */
interface ShellRunOptions {
  readonly timeoutMs?: number;
  /** Wrap the inner `sh -c …`, e.g. to enter PID 1's namespaces. Overrides the Shell's default. */
  readonly via?: ViaWrapper;
  /** The console shell can run `base64 -d | gzip -dc`: long scripts are typed gzipped (framing.ts). */
  readonly gzip?: boolean;
}

/** Options of waitUntilSucceeds: `timeoutMs` bounds the retrying; no attempt starts after it. */
interface ShellWaitOptions extends ShellRunOptions {
  readonly intervalMs?: number;
  /** Time allowed for one attempt (default: the command timeout), and never more than what is left of `timeoutMs` (at least 1 s). */
  readonly attemptTimeoutMs?: number;
}

/** What one command did. `output` is stdout and stderr merged, as UTF-8 (NUL bytes cannot pass a shell variable). */
interface RunResult extends CommandResult {
  readonly bytes: Buffer;
  readonly durationMs: number;
  /** 1 unless a corrupted frame had to be run again. */
  readonly attempts: number;
}

/** Options of Shell. */
interface ShellOptions {
  /** Default wrapper for every command (see ShellRunOptions.via). */
  readonly via?: ViaWrapper;
  /** Makes a fresh nonce; default 12 random hex digits. */
  readonly nonce?: () => string;
  readonly maxLineBytes?: number;
  readonly maxScriptBytes?: number;
  readonly frameRetries?: number;
}

/** Drives the shell on a console engine. Commands run one at a time, in call order. */
export class Shell {
  readonly #via: ViaWrapper | undefined;
  readonly #nonce: () => string;
  readonly #maxLineBytes: number;
  readonly #maxScriptBytes: number;
  readonly #frameRetries: number;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly engine: ConsoleEngine,
    options: ShellOptions = {},
  ) {
    this.#via = options.via;
    this.#nonce = options.nonce ?? freshNonce;
    this.#maxLineBytes = options.maxLineBytes ?? consoleDefaults.maxLineBytes;
    this.#maxScriptBytes = options.maxScriptBytes ?? consoleDefaults.maxScriptBytes;
    this.#frameRetries = options.frameRetries ?? consoleDefaults.frameRetries;
  }

  /**
   * Type probes until one comes back, then one more to drain probes typed while the shell started.
   * Input typed before the shell reads it is lost (os-autoinst#797), hence probing instead of waiting for a prompt.
   */
  findShell(options: FindShellOptions = {}): Promise<{ durationMs: number; probes: number }> {
    return this.#exclusive(async () => {
      const timeoutMs = options.timeoutMs ?? consoleDefaults.findShellTimeoutMs;
      const every = options.probeEveryMs ?? consoleDefaults.probeEveryMs;
      const started = this.engine.now();
      const deadline = started + timeoutMs;
      const state = { probes: 0, loginFrom: this.engine.position };
      await this.#probeUntilAnswered(deadline, every, timeoutMs, state, options.login);
      // Sync: every probe typed before this one has run once this one answers.
      await this.#probeUntilAnswered(deadline, every, timeoutMs, state, undefined);
      this.engine.mark('shell-found');
      return { durationMs: this.engine.now() - started, probes: state.probes };
    });
  }

  /** Run a script in the guest shell; resolves with its status and output whatever the status. */
  run(script: string, options: ShellRunOptions = {}): Promise<RunResult> {
    return this.#exclusive(() => this.#run(script, options));
  }

  /** Run a script that must exit 0; returns its output, else throws AssertionFailed with the evidence. */
  succeed(script: string, options: ShellRunOptions = {}): Promise<string> {
    return verbs.succeed((command) => this.run(command, options), script);
  }

  /** Run a script that must exit non-zero; returns its output, else throws AssertionFailed with the evidence. */
  fail(script: string, options: ShellRunOptions = {}): Promise<string> {
    return verbs.fail((command) => this.run(command, options), script);
  }

  /** Re-run a script until it exits 0 (returns its output) or the deadline passes (throws with the last attempt). */
  waitUntilSucceeds(script: string, options: ShellWaitOptions = {}): Promise<string> {
    return verbs.waitUntilSucceeds((command, timeoutMs) => this.run(command, { via: options.via, timeoutMs }), script, {
      timeoutMs: options.timeoutMs,
      intervalMs: options.intervalMs,
      attemptTimeoutMs: options.attemptTimeoutMs ?? consoleDefaults.commandTimeoutMs,
      now: () => this.engine.now(),
    });
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task, task);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #probeUntilAnswered(
    deadline: number,
    every: number,
    timeoutMs: number,
    state: { probes: number; loginFrom: number },
    login: LoginOptions | undefined,
  ): Promise<void> {
    const from = this.engine.position;
    const nonces: string[] = [];
    for (;;) {
      const left = deadline - this.engine.now();
      if (left <= 0) {
        throw new ConsoleTimeoutError(`a shell to answer (${state.probes} probes typed)`, timeoutMs, this.engine.lastLines());
      }
      if (login) await this.#maybeLogin(login, state, deadline);
      const nonce = this.#nonce();
      nonces.push(nonce);
      state.probes++;
      // The echo reads "<nonce> ready"; only the shell's output reads "<nonce>_ready".
      this.engine.send(`printf '%s_%s\\n' ${nonce} ready\r`);
      try {
        await this.engine.waitFor(new RegExp(`(?:${nonces.join('|')})_ready`), {
          timeoutMs: Math.min(every, left),
          from,
          description: 'a shell to answer a probe',
        });
        return;
      } catch (error) {
        if (!(error instanceof ConsoleTimeoutError)) throw error;
      }
    }
  }

  async #maybeLogin(login: LoginOptions, state: { loginFrom: number }, deadline: number): Promise<void> {
    const prompt = this.engine.search(login.promptPattern, state.loginFrom);
    if (!prompt) return;
    state.loginFrom = prompt.end;
    this.engine.send(`${login.user}\r`);
    if (login.password === undefined) return;
    const asked = await this.engine.waitFor(login.passwordPattern ?? /[Pp]assword:/, {
      timeoutMs: Math.max(1, deadline - this.engine.now()),
      from: prompt.end,
      description: 'a password prompt',
    });
    state.loginFrom = asked.end;
    this.engine.send(`${login.password}\r`);
  }

  async #run(script: string, options: ShellRunOptions): Promise<RunResult> {
    const size = Buffer.byteLength(script);
    if (size > this.#maxScriptBytes) {
      throw new UsageError(`script of ${size} bytes is longer than maxScriptBytes=${this.#maxScriptBytes}: ${scriptSummary(script)}`);
    }
    const timeoutMs = options.timeoutMs ?? consoleDefaults.commandTimeoutMs;
    const deadline = this.engine.now() + timeoutMs;
    const via = options.via ?? this.#via;
    const description = `command ${scriptSummary(script)} to finish`;
    const left = (): number => Math.max(1, deadline - this.engine.now());
    let reason = '';
    const attempts = 1 + this.#frameRetries;
    const gzip = options.gzip ?? false;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let framed;
      try {
        framed = frameCommand(script, this.#nonce(), { via, maxLineBytes: this.#maxLineBytes, gzip });
      } catch (error) {
        throw new UsageError(`cannot type command ${scriptSummary(script)}: ${(error as Error).message}`);
      }
      const from = this.engine.position;
      const started = this.engine.now();
      let end;
      try {
        for (const piece of framed.setup) {
          // Another writer may split the ack; from here on only this piece's echo precedes it.
          const pieceFrom = this.engine.position;
          this.engine.send(`${piece.line}\r`);
          await this.engine.waitFor(gappedMarker(piece.ack), {
            timeoutMs: left(),
            from: pieceFrom,
            description: `the guest to take a piece of ${scriptSummary(script)}`,
          });
        }
        this.engine.send(`${framed.line}\r`);
        end = await this.engine.waitFor(framed.end, { timeoutMs: left(), from, description });
      } catch (error) {
        // Interrupt the hung command so the next one is not typed into it.
        if (error instanceof ConsoleTimeoutError) this.engine.send('\x03');
        throw error;
      }
      if (from < this.engine.windowStart) {
        throw new FrameError(`the output of ${scriptSummary(script)} is larger than the console window (maxBufferChars)`, attempt, this.engine.lastLines());
      }
      // Kernel messages and other writers' text can land inside the markers too: look for them in the
      // text without printk lines, and stop the body where the first end line starts, even a copy
      // that a message split (the end line is printed twice; `end` matched a whole one).
      const cleaned = withoutPrintk(this.engine.slice(from, end.start));
      const firstEnd = cleaned.indexOf(`${framed.nonce}_e_`);
      const framedText = firstEnd === -1 ? cleaned : cleaned.slice(0, firstEnd);
      // A begin marker split by foreign text: read everything since the command was typed (the echo
      // and prompt are not base64 lines; the checksum decides).
      const beginAt = framedText.indexOf(framed.begin);
      const body = beginAt === -1 ? framedText : framedText.slice(beginAt + framed.begin.length);
      const decoded = decodeFrame(body, { sum: end.captures[1] ?? 'none', length: end.captures[2] ?? 'none' });
      if (!decoded.ok) {
        reason = beginAt === -1 ? `the begin marker never arrived whole (${decoded.reason})` : decoded.reason;
        continue;
      }
      const output = decoded.bytes.toString('utf8');
      if (framed.undecoded && output.endsWith(framed.undecoded)) {
        // Nothing ran: the typed script arrived damaged (gzip's CRC caught it). Typed again gzipped:
        // plain base64 has no check, so a damaged plain script would run as typed.
        const message = output.slice(0, -framed.undecoded.length).trim();
        reason = `the guest could not unpack the gzipped script (${message ? scriptSummary(message) : 'no message'})`;
        continue;
      }
      return {
        status: Number(end.captures[0]),
        output,
        bytes: decoded.bytes,
        durationMs: end.atMs - started,
        attempts: attempt,
      };
    }
    throw new FrameError(`${reason} (command ${scriptSummary(script)})`, attempts, this.engine.lastLines());
  }
}
