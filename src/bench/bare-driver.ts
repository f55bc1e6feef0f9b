// The bench's yardstick: the harness's guest work done the plainest way. Same QEMU argv, same probe
// to find the shell, same framed scripts and end markers; no console engine, no ANSI stripping, no
// failure watch, no judging, no log. It decodes only the answers it needs (the one that picks
// nsenter, the one the second rng sample is built from), with the harness's checked decodeFrame:
// an echoed terminal answer (^[[1;1R) inside a frame must not make it pick another way in.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { viaWrapper } from '../boot/system-context.ts';
import { decodeFrame, frameCommand, freshNonce, type ViaWrapper } from '../console/framing.ts';
import { onInterruptExit } from '../util/signals.ts';
import type { GuestStep } from './guest-work.ts';

/** Where the bare driver types and what it reads (QEMU's stdio in a real run, a fake guest in tests). */
export interface BarePort {
  write(data: string): void;
  /** Called once; every chunk of console output goes to `listener`. */
  onData(listener: (chunk: Buffer) => void): void;
  /** Settles when the guest is gone (QEMU exited). */
  readonly closed: Promise<unknown>;
}

/** What to do on the console, in the order runTarget does it. */
export interface BarePlan {
  /** Hold typing until this text shows or this long after the start (the target's typeAfter). */
  readonly typeAfter?: { readonly pattern: RegExp; readonly orAfterMs: number };
  readonly probeEveryMs: number;
  readonly maxLineBytes: number;
  /** Runs in the console shell; its output goes to `chooseWay`. */
  readonly context: string;
  /** From the context script's output: the command prefix for every later step ('' for none), and whether they may be typed gzipped. */
  readonly chooseWay: (contextOutput: string) => { readonly via: string; readonly gzip: boolean };
  /** Typed after the context script, each after its `afterMs` wait, all through the chosen prefix. */
  readonly steps: readonly GuestStep[];
  /** Give up (reject) this long after the start: a hung guest must not hang the bench. */
  readonly deadlineMs: number;
}

/** An answer as it came back: the framed text and what its end line says of it. */
interface AnswerFrame {
  readonly body: string;
  readonly sum: string;
  readonly length: string;
}

/** Milliseconds since the start at which each stage ended, and what was chosen. */
interface BareTimes {
  readonly marks: Readonly<Record<string, number>>;
  readonly via: string;
  readonly gzip: boolean;
  readonly frames: number;
}

// Markers and acks are short; a match that ends in a new chunk starts at most this far back.
const TAIL = 256;

/** Console text since the last reset, and one pending wait at a time. */
class Tail {
  text = '';
  #scanFrom = 0;
  #carry = '';
  #want: { test: RegExp | string; resolve: (found: RegExpExecArray | number | undefined) => void } | undefined;
  #gone: string | undefined;

  constructor(private readonly answer: (data: string) => void) {}

  push(chunk: Buffer): void {
    const raw = chunk.toString('latin1');
    // busybox ash asks for the cursor position at each prompt; answer as the harness does.
    const queries = (this.#carry + raw).split('\x1b[6n').length - 1;
    for (let i = 0; i < queries; i++) this.answer('\x1b[1;1R');
    this.#carry = raw.slice(-3);
    this.#scanFrom = Math.max(0, this.text.length - TAIL);
    this.text += raw.replace(/\r/g, '');
    this.#check();
    // Boot output nobody waits for: keep memory bounded.
    if (this.text.length > 65_536 && !this.#want) this.reset(1024);
  }

  reset(keep = 0): void {
    this.text = keep ? this.text.slice(-keep) : '';
    this.#scanFrom = 0;
  }

  gone(reason: string): void {
    this.#gone = reason;
    this.#want?.resolve(undefined);
    this.#want = undefined;
  }

  /** The match (or the index of a literal), or undefined on timeout; rejects once the guest is gone. */
  until(test: RegExp | string, timeoutMs: number): Promise<RegExpExecArray | number | undefined> {
    this.#scanFrom = 0;
    return new Promise((resolve, reject) => {
      if (this.#gone) return reject(new Error(this.#gone));
      const timer = setTimeout(() => settle(undefined), Math.max(0, timeoutMs));
      const settle = (found: RegExpExecArray | number | undefined) => {
        clearTimeout(timer);
        this.#want = undefined;
        if (found === undefined && this.#gone) reject(new Error(this.#gone));
        else resolve(found);
      };
      this.#want = { test, resolve: settle };
      this.#check();
    });
  }

  #check(): void {
    const want = this.#want;
    if (!want) return;
    const from = this.#scanFrom;
    if (typeof want.test === 'string') {
      const at = this.text.indexOf(want.test, from);
      if (at !== -1) want.resolve(at);
    } else {
      const m = want.test.exec(this.text.slice(from));
      if (m) {
        m.index += from;
        want.resolve(m);
      }
    }
  }
}

/** Drive the guest through `plan` on `port`; resolves with the stage times, rejects on the deadline or the guest's end. */
export async function driveBare(port: BarePort, plan: BarePlan, clock: () => number = () => performance.now()): Promise<BareTimes> {
  const start = clock();
  const marks: Record<string, number> = {};
  const mark = (name: string) => (marks[name] = clock() - start);
  const left = (what: string) => {
    const ms = plan.deadlineMs - (clock() - start);
    if (ms <= 0) throw new Error(`bare driver: no ${what} within ${plan.deadlineMs} ms`);
    return ms;
  };
  const tail = new Tail((data) => port.write(data));
  port.onData((chunk) => {
    if (marks['first-byte'] === undefined) mark('first-byte');
    tail.push(chunk);
  });
  void port.closed.then(() => tail.gone('the guest ended'));

  if (plan.typeAfter) {
    await tail.until(plan.typeAfter.pattern, Math.min(left('typing point'), Math.max(0, plan.typeAfter.orAfterMs - (clock() - start))));
  }
  // Type a probe until one comes back (input typed before the shell reads it is lost), then, as
  // the harness's findShell does, one more round so every probe typed while the shell started has run.
  const probeUntilAnswered = async () => {
    tail.reset();
    const probes: string[] = [];
    for (;;) {
      const n = freshNonce();
      probes.push(n);
      port.write(`printf '%s_%s\\n' ${n} ready\r`);
      if (await tail.until(new RegExp(`(?:${probes.join('|')})_ready`), Math.min(plan.probeEveryMs, left('shell'))) !== undefined) return;
    }
  };
  await probeUntilAnswered();
  mark('shell-answered');
  await probeUntilAnswered();
  mark('shell-ready');

  const run = async (step: GuestStep, way: { via?: ViaWrapper; gzip: boolean }): Promise<AnswerFrame> => {
    const framed = frameCommand(step.script, freshNonce(), { ...way, maxLineBytes: plan.maxLineBytes });
    tail.reset();
    for (const piece of framed.setup) {
      port.write(`${piece.line}\r`);
      if ((await tail.until(piece.ack, left(`ack of ${step.label}`))) === undefined) throw new Error(`bare driver: no ack of ${step.label} within ${plan.deadlineMs} ms`);
    }
    port.write(`${framed.line}\r`);
    const end = await tail.until(framed.end, left(`end of ${step.label}`));
    if (typeof end !== 'object' || end === null) throw new Error(`bare driver: no end of ${step.label} within ${plan.deadlineMs} ms`);
    mark(`step:${step.label}`);
    return { body: tail.text.slice(tail.text.indexOf(`${framed.begin}\n`) + framed.begin.length + 1, end.index), sum: end[2] ?? 'none', length: end[3] ?? 'none' };
  };
  const decoded = (frame: AnswerFrame, label: string): string => {
    const result = decodeFrame(frame.body, { sum: frame.sum, length: frame.length });
    if (!result.ok) throw new Error(`bare driver: the answer to ${label} did not decode (${result.reason})`);
    return result.bytes.toString('utf8');
  };

  const { via, gzip } = plan.chooseWay(decoded(await run({ label: 'host-context', script: plan.context }, { gzip: false }), 'host-context'));
  const wrapper = viaWrapper(via);
  const way = { gzip, ...(wrapper ? { via: wrapper } : {}) };
  let previous: { frame: AnswerFrame; label: string } | undefined;
  for (const step of plan.steps) {
    // A later sample is built as the check builds it: waiting on the guest's clock, from the answer
    // before it; else it waits on the host (the rng case's sample gap), counted from that answer.
    const built = step.fromAnswer && previous ? step.fromAnswer(decoded(previous.frame, previous.label)) : undefined;
    if (built === undefined && step.afterMs) await sleep(Math.min(step.afterMs, left(`the wait before ${step.label}`)));
    previous = { frame: await run(built === undefined ? step : { ...step, script: built }, way), label: step.label };
  }
  return { marks, via, gzip, frames: 1 + plan.steps.length };
}

/** Start `argv` (program first) with the console on stdio, drive it through `plan`, then stop it as the harness does (SIGTERM). */
export async function runBare(argv: readonly string[], plan: BarePlan, signal?: AbortSignal): Promise<BareTimes & { wallMs: number }> {
  const started = performance.now();
  const [program, ...args] = argv;
  if (!program) throw new Error('runBare: empty argv');
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.on('error', () => {});
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const kill = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', kill, { once: true });
  // A second signal exits kittest at once: QEMU must not outlive it.
  const forget = onInterruptExit(kill);
  let times: BareTimes;
  try {
    const port: BarePort = {
      write: (data) => {
        if (child.stdin.writable) child.stdin.write(data);
      },
      onData: (listener) => child.stdout.on('data', listener),
      closed,
    };
    times = await driveBare(port, plan);
  } finally {
    signal?.removeEventListener('abort', kill);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await closed;
      clearTimeout(timer);
    }
    forget();
  }
  return { ...times, wallMs: performance.now() - started };
}
