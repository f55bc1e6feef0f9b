// A small QMP (QEMU Machine Protocol) client: one JSON object per line in each direction.
//
// Wire format (QEMU docs/interop/qmp-spec): on connect QEMU sends a greeting
// `{"QMP": {"version": {"qemu": {"major", "minor", "micro"}, "package"}, "capabilities": [...]}}`
// and accepts nothing but `qmp_capabilities` until that is sent. Then each command
// `{"execute": name, "arguments"?: {...}, "id"?: any}` gets exactly one reply carrying the same id,
// `{"return": value, "id"}` or `{"error": {"class", "desc"}, "id"}`, and asynchronous events
// `{"event": NAME, "data"?: {...}, "timestamp": {"seconds", "microseconds"}}` may arrive between
// replies. QEMU ends its lines with CRLF. Everything received is untrusted: lines are bounded in
// length and anything that is not one of the shapes above is counted and dropped.
import { createConnection, type Socket } from 'node:net';
import { MachineError } from '../errors.ts';
import { withDeadline } from '../util/deadline.ts';

/** QEMU's version as the greeting reports it. */
interface QmpGreeting {
  readonly version: { readonly qemu: { readonly major: number; readonly minor: number; readonly micro: number }; readonly package: string };
  readonly capabilities: readonly string[];
}

/** One asynchronous QMP event. `timestamp` is QEMU's host wall clock when it emitted the event. */
export interface QmpEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
  readonly timestamp: { readonly seconds: number; readonly microseconds: number };
}

/** What `query-status` says: `running` is true only while vCPUs run (not paused, not prelaunch). */
interface QmpStatus {
  readonly status: string;
  readonly running: boolean;
}

/**
 * `GUEST_PANICKED` data: `action` is what QEMU did about it (`pause`, `poweroff`, `run`),
 * `info` is present for Hyper-V crash MSRs (`type: 'hyper-v'`) and s390 (`type: 's390'`,
 * with `reason` such as `disabled-wait`). `GUEST_CRASHLOADED` has the same shape (action `run`).
 */
interface GuestPanicData {
  readonly action: string;
  readonly info?: { readonly type: string; readonly reason?: string; readonly [key: string]: unknown };
}

/**
 * True for the events that mean the guest kernel crashed: `GUEST_PANICKED`, and
 * `GUEST_CRASHLOADED` (the guest panicked and is handling it itself, e.g. kdump).
 *
 * Where they come from differs per architecture:
 * - s390x: built in. QEMU reports a guest's disabled wait (what a Linux panic ends in) and
 *   interrupt loops as GUEST_PANICKED itself, with `info: {type: 's390', reason, core, psw-*}`.
 * - x86_64: needs a pvpanic device (`-device pvpanic`, ISA port 0x505) and the guest's
 *   pvpanic driver (CONFIG_PVPANIC + CONFIG_PVPANIC_MMIO, found through ACPI).
 * - arm64, ppc64le, riscv64: need `-device pvpanic-pci` and the guest's pvpanic driver
 *   (CONFIG_PVPANIC + CONFIG_PVPANIC_PCI). Without it a panicking guest just sits there
 *   (or reboots, per `panic=`) and QMP says nothing.
 * GUEST_CRASHLOADED needs a pvpanic device and a guest that writes the crash-loaded bit.
 */
export function isPanicEvent(e: QmpEvent): e is QmpEvent & { readonly data: GuestPanicData & Record<string, unknown> } {
  return e.event === 'GUEST_PANICKED' || e.event === 'GUEST_CRASHLOADED';
}

/** QEMU answered a command with an error: `qmpClass` is e.g. `GenericError`, `CommandNotFound`. */
export class QmpCommandError extends Error {
  override readonly name = 'QmpCommandError';
  constructor(
    readonly command: string,
    readonly qmpClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command} failed: ${desc} (${qmpClass})`);
  }
}

interface QmpConnectOptions {
  /** Total time for the socket to appear, accept, greet and negotiate capabilities. */
  readonly timeoutMs: number;
  /** Gives up early, e.g. when the QEMU process exits before its socket is usable. */
  readonly signal?: AbortSignal;
  /** Longest accepted line in bytes (characters); longer ones are dropped. Default 4 MiB. */
  readonly maxLineLength?: number;
  /** How many recent events `events` keeps. Default 200. */
  readonly maxEvents?: number;
  /** Default timeout for `execute`. Default 10 s. */
  readonly commandTimeoutMs?: number;
}

type EventListener = (e: QmpEvent) => void;

interface Pending {
  readonly command: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const DEFAULT_MAX_LINE = 4 * 1024 * 1024;
const DEFAULT_MAX_EVENTS = 200;
const DEFAULT_COMMAND_TIMEOUT = 10_000;

/** Minimal stream shapes, so the client also runs over a child's `-qmp stdio` pipes. */
interface QmpInput {
  setEncoding(encoding: BufferEncoding): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
}
interface QmpOutput {
  write(data: string): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
}

export class QmpClient {
  /** The greeting QEMU sent (set once `connect` resolves). */
  greeting: QmpGreeting | undefined;
  /** The most recent events, oldest first, at most `maxEvents` of them. */
  readonly events: QmpEvent[] = [];
  /** Events pushed out of `events` by newer ones. */
  eventsDropped = 0;
  /** Lines that were not JSON, not a known QMP shape, or longer than the limit. */
  malformedLines = 0;
  /** Resolves (never rejects) once the connection is gone, whoever closed it. */
  readonly closed: Promise<void>;
  /** Why the connection ended, once it has. */
  closeReason: string | undefined;

  private readonly listeners = new Set<EventListener>();
  private readonly pending = new Map<number, Pending>();
  private readonly maxLine: number;
  private readonly maxEvents: number;
  private readonly commandTimeoutMs: number;
  private nextId = 1;
  private partial = '';
  private skippingLongLine = false;
  private greetingWaiter: ((g: QmpGreeting) => void) | undefined;
  private resolveClosed!: () => void;

  private constructor(
    /** Where this client talks to, for messages (the socket path). */
    readonly label: string,
    input: QmpInput,
    private readonly output: QmpOutput,
    private readonly destroy: () => void,
    options: Omit<QmpConnectOptions, 'timeoutMs' | 'signal'>,
  ) {
    this.maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE;
    this.maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.receive(chunk));
    input.on('error', (e: Error) => this.finish(`connection error: ${e.message}`));
    input.on('end', () => this.finish('closed by QEMU'));
    input.on('close', () => this.finish('closed by QEMU'));
    output.on('error', (e: Error) => this.finish(`connection error: ${e.message}`));
  }

  /**
   * Connect to QEMU's QMP unix socket, retrying while it does not exist or refuses (QEMU creates
   * it a little after starting), then read the greeting and leave capabilities-negotiation mode.
   * Rejects with a MachineError naming the socket and the last thing that went wrong.
   */
  static async connect(socketPath: string, options: QmpConnectOptions): Promise<QmpClient> {
    const deadline = Date.now() + options.timeoutMs;
    const { signal } = options;
    const fail = (what: string) => new MachineError(`QMP socket ${socketPath}: ${what}`, true);
    let lastProblem = 'nothing tried yet';
    let delay = 20;
    for (;;) {
      if (signal?.aborted) throw fail(`connect abandoned (${abortText(signal)}); last attempt: ${lastProblem}`);
      const left = deadline - Date.now();
      if (left <= 0) throw fail(`could not connect within ${options.timeoutMs} ms (last attempt: ${lastProblem})`);
      const attempt = await openSocket(socketPath, left, signal);
      if ('socket' in attempt) {
        const client = new QmpClient(socketPath, attempt.socket, attempt.socket, () => attempt.socket.destroy(), options);
        await client.handshake(deadline, options.timeoutMs, signal);
        return client;
      }
      lastProblem = attempt.problem;
      if (!attempt.retry) throw fail(lastProblem);
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
      delay = Math.min(delay * 2, 200);
    }
  }

  /**
   * Speak QMP over an already open pair of streams (e.g. a child started with `-qmp stdio`):
   * greeting and capabilities negotiation as for `connect`. `close()` calls `destroy`.
   */
  static async overStreams(
    label: string,
    input: QmpInput,
    output: QmpOutput,
    destroy: () => void,
    options: QmpConnectOptions,
  ): Promise<QmpClient> {
    const client = new QmpClient(label, input, output, destroy, options);
    await client.handshake(Date.now() + options.timeoutMs, options.timeoutMs, options.signal);
    return client;
  }

  /** Whether the connection is still open. */
  get isOpen(): boolean {
    return this.closeReason === undefined;
  }

  /**
   * Run one command. Resolves with its `return` value; rejects with QmpCommandError when QEMU
   * answers with an error, or with MachineError on timeout or when the connection closes first.
   * Replies are matched by id, so concurrent calls are safe.
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<T> {
    if (this.closeReason !== undefined) {
      return Promise.reject(new MachineError(`QMP ${command} on ${this.label}: connection already closed (${this.closeReason})`, true));
    }
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new MachineError(`QMP ${command} on ${this.label}: no reply within ${timeoutMs} ms`, true));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      const message: Record<string, unknown> = { execute: command, id };
      if (args !== undefined) message['arguments'] = args;
      this.output.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** `query-status`: the run state (`running`, `paused`, `prelaunch`, `guest-panicked`, `shutdown`, ...). */
  async queryStatus(options: { timeoutMs?: number } = {}): Promise<QmpStatus> {
    const r = await this.execute<{ status?: unknown; running?: unknown }>('query-status', undefined, options);
    if (typeof r?.status !== 'string' || typeof r.running !== 'boolean') {
      throw new MachineError(`QMP query-status on ${this.label}: unexpected reply ${JSON.stringify(r).slice(0, 200)}`, true);
    }
    return { status: r.status, running: r.running };
  }

  /**
   * Ask QEMU to exit. Resolves when QEMU acknowledges or the connection closes (QEMU closes it
   * as it exits), whichever comes first; rejects only if neither happens within the timeout.
   */
  async quit(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closeReason !== undefined) return;
    const acknowledged = this.execute('quit', undefined, options).then(
      () => undefined,
      (e: unknown) => {
        if (this.closeReason !== undefined) return; // the socket closed: QEMU is exiting
        throw e;
      },
    );
    await Promise.race([acknowledged, this.closed]);
  }

  /** Listen for events; returns a function that stops listening. A throwing listener is ignored. */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The first event matching `match` (an event name or a predicate), looking first at the events
   * already kept, then at new ones. Rejects on timeout or when the connection closes first.
   */
  waitForEvent(match: string | ((e: QmpEvent) => boolean), options: { timeoutMs: number }): Promise<QmpEvent> {
    const test = typeof match === 'string' ? (e: QmpEvent) => e.event === match : match;
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    const what = typeof match === 'string' ? match : 'matching event';
    return new Promise((resolve, reject) => {
      let stop = () => {};
      const timer = setTimeout(() => {
        stop();
        reject(new MachineError(`QMP ${this.label}: no ${what} within ${options.timeoutMs} ms`, true));
      }, options.timeoutMs);
      const off = this.onEvent((e) => {
        if (!test(e)) return;
        stop();
        resolve(e);
      });
      void this.closed.then(() => {
        stop();
        reject(new MachineError(`QMP ${this.label}: connection closed (${this.closeReason}) before ${what}`, true));
      });
      stop = () => {
        clearTimeout(timer);
        off();
      };
    });
  }

  /** Close the connection; pending commands reject. QEMU keeps running. */
  close(): Promise<void> {
    this.finish('closed by kittest');
    return this.closed;
  }

  private async handshake(deadline: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const fail = (what: string) => {
      this.finish(`handshake failed: ${what}`);
      return new MachineError(`QMP socket ${this.label}: ${what}`, true);
    };
    if (!this.greeting) {
      const greeting = new Promise<QmpGreeting>((resolve) => (this.greetingWaiter = resolve));
      const outcome = await raceDeadline(greeting, this.closed, deadline, signal);
      if (outcome === 'timeout') throw fail(`connected but no QMP greeting within ${timeoutMs} ms (is another client holding the monitor?)`);
      if (outcome === 'closed') throw fail(`connection closed before the QMP greeting (${this.closeReason})`);
      if (outcome === 'aborted') throw fail(`connect abandoned (${abortText(signal)}) while waiting for the greeting`);
    }
    const left = Math.max(1, deadline - Date.now());
    try {
      await this.execute('qmp_capabilities', undefined, { timeoutMs: left });
    } catch (e) {
      throw fail(`capabilities negotiation failed: ${(e as Error).message}`);
    }
  }

  private receive(chunk: string): void {
    let text = chunk;
    for (;;) {
      const nl = text.indexOf('\n');
      if (nl < 0) break;
      const piece = text.slice(0, nl);
      text = text.slice(nl + 1);
      if (this.skippingLongLine) {
        this.skippingLongLine = false; // the rest of an over-long line: already counted
        this.partial = '';
        continue;
      }
      const line = this.partial + piece;
      this.partial = '';
      if (line.length > this.maxLine) this.malformedLines++;
      else this.handleLine(line);
      if (this.closeReason !== undefined) return;
    }
    if (this.skippingLongLine) return;
    this.partial += text;
    if (this.partial.length > this.maxLine) {
      this.malformedLines++;
      this.partial = '';
      this.skippingLongLine = true;
    }
  }

  private handleLine(raw: string): void {
    const line = raw.trim(); // CRLF, stray whitespace
    if (line === '') return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.malformedLines++;
      return;
    }
    if (!isObject(msg)) {
      this.malformedLines++;
      return;
    }
    if (isObject(msg['QMP'])) return this.handleGreeting(msg['QMP']);
    if (typeof msg['event'] === 'string') return this.handleEvent(msg);
    if ('return' in msg || isObject(msg['error'])) return this.handleReply(msg);
    this.malformedLines++;
  }

  private handleGreeting(qmp: Record<string, unknown>): void {
    const v = isObject(qmp['version']) ? qmp['version'] : {};
    const q = isObject(v['qemu']) ? v['qemu'] : {};
    const num = (x: unknown) => (typeof x === 'number' ? x : 0);
    this.greeting = {
      version: { qemu: { major: num(q['major']), minor: num(q['minor']), micro: num(q['micro']) }, package: typeof v['package'] === 'string' ? v['package'] : '' },
      capabilities: Array.isArray(qmp['capabilities']) ? qmp['capabilities'].filter((c): c is string => typeof c === 'string') : [],
    };
    const waiter = this.greetingWaiter;
    this.greetingWaiter = undefined;
    waiter?.(this.greeting);
  }

  private handleEvent(msg: Record<string, unknown>): void {
    const ts = isObject(msg['timestamp']) ? msg['timestamp'] : {};
    const event: QmpEvent = {
      event: msg['event'] as string,
      data: isObject(msg['data']) ? msg['data'] : {},
      timestamp: {
        seconds: typeof ts['seconds'] === 'number' ? ts['seconds'] : 0,
        microseconds: typeof ts['microseconds'] === 'number' ? ts['microseconds'] : 0,
      },
    };
    this.events.push(event);
    if (this.events.length > this.maxEvents) {
      this.events.splice(0, this.events.length - this.maxEvents);
      this.eventsDropped++;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // a listener's bug must not break the connection
      }
    }
  }

  private handleReply(msg: Record<string, unknown>): void {
    let id = msg['id'];
    // QEMU omits the id only when it could not parse the request; give it to the sole waiter.
    if (id === undefined && this.pending.size === 1) id = this.pending.keys().next().value;
    const entry = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (!entry || typeof id !== 'number') return; // late reply to a timed-out command, or not ours
    this.pending.delete(id);
    clearTimeout(entry.timer);
    const err = msg['error'];
    if (isObject(err)) {
      const desc = typeof err['desc'] === 'string' ? err['desc'] : JSON.stringify(err).slice(0, 200);
      entry.reject(new QmpCommandError(entry.command, typeof err['class'] === 'string' ? err['class'] : 'GenericError', desc));
    } else {
      entry.resolve(msg['return']);
    }
  }

  private finish(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    this.destroy();
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      clearTimeout(entry.timer);
      entry.reject(new MachineError(`QMP ${entry.command} on ${this.label}: connection ${reason} before the reply`, true));
    }
    this.resolveClosed();
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function abortText(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'aborted';
}

type SocketAttempt = { socket: Socket } | { problem: string; retry: boolean };

/** One connection attempt; errors worth retrying are those of a socket QEMU has not made yet. */
function openSocket(path: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<SocketAttempt> {
  return new Promise((resolve) => {
    const socket = createConnection({ path });
    const done = (r: SocketAttempt) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('connect');
      socket.removeAllListeners('error');
      if (!('socket' in r)) socket.destroy();
      resolve(r);
    };
    const onAbort = () => done({ problem: `connect abandoned (${abortText(signal)})`, retry: false });
    const timer = setTimeout(() => done({ problem: 'connect() did not complete', retry: true }), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ socket }));
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? '';
      const retry = code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EAGAIN';
      const why = code === 'ENOENT' ? 'ENOENT, the socket does not exist yet' : code === 'ECONNREFUSED' ? 'ECONNREFUSED, nothing listening on it yet' : e.message;
      done({ problem: why, retry });
    });
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(finish, ms);
    function finish() {
      clearTimeout(t);
      signal?.removeEventListener('abort', finish);
      resolve();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

async function raceDeadline<T>(
  work: Promise<T>,
  closed: Promise<void>,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<'ok' | 'timeout' | 'closed' | 'aborted'> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal?.aborted) return resolve('aborted');
    onAbort = () => resolve('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const settled = Promise.race([work.then(() => 'ok' as const), closed.then(() => 'closed' as const), aborted]);
    return await withDeadline(settled, deadline - Date.now(), () => 'timeout' as const);
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
