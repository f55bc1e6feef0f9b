// The machine verbs, written once (as the NixOS test driver's base machine has them): succeed, fail
// and waitUntilSucceeds over anything that runs a command and says how it ended — the console
// shell (src/console/shell.ts) and the library's machine (src/api). A failed verb is an
// AssertionFailed whose evidence holds the command, its exit status and its output, bounded.
import { setTimeout as sleep } from 'node:timers/promises';
import { AssertionFailed } from '../errors.ts';
import { consoleDefaults } from './defaults.ts';
import { quoteLines } from './errors.ts';

/** How one command ended. `output` is stdout and stderr, merged. */
export interface CommandResult {
  readonly status: number;
  readonly output: string;
}

/** Runs one command on a machine; `timeoutMs` bounds it (the runner's own default when absent). */
type CommandRunner = (command: string, timeoutMs?: number) => Promise<CommandResult>;

/** Show a script in messages: its first line, shortened. */
export function scriptSummary(script: string): string {
  const first = script.trim().split('\n')[0] ?? '';
  const short = first.length > 80 ? `${first.slice(0, 79)}…` : first;
  return JSON.stringify(short + (script.trim().includes('\n') ? ' …' : ''));
}

// The tail of an output, for messages (more of it goes into the evidence).
function tail(output: string, lines = 20): string {
  return quoteLines(output.replace(/\n$/, '').split('\n').slice(-lines));
}

/** Most characters of a command and of its output kept in a failure's evidence (guest output may be huge). */
const evidenceChars = { command: 2000, output: 8000 } as const;

function lastChars(text: string, max: number): string {
  return text.length <= max ? text : `[kittest: ${text.length - max} earlier characters cut]\n${text.slice(-max)}`;
}

/** What a failed verb shows: the command, how it ended and its output (the end of it, where long). */
function evidenceOf(command: string, result: CommandResult): string {
  const shown = command.length <= evidenceChars.command ? command : `${command.slice(0, evidenceChars.command)}…`;
  return `$ ${shown}\nexit status ${result.status}\n${lastChars(result.output, evidenceChars.output)}`;
}

/** Run `command`, which must exit 0; returns its output, else rejects (AssertionFailed) quoting it. */
export async function succeed(run: CommandRunner, command: string): Promise<string> {
  const r = await run(command);
  if (r.status !== 0) {
    throw new AssertionFailed(`command ${scriptSummary(command)} failed with exit status ${r.status}; output:\n${tail(r.output)}`, evidenceOf(command, r));
  }
  return r.output;
}

/** Run `command`, which must exit non-zero; returns its output, else rejects (AssertionFailed) quoting it. */
export async function fail(run: CommandRunner, command: string): Promise<string> {
  const r = await run(command);
  if (r.status === 0) {
    throw new AssertionFailed(`command ${scriptSummary(command)} succeeded but was expected to fail; output:\n${tail(r.output)}`, evidenceOf(command, r));
  }
  return r.output;
}

/** How long waitUntilSucceeds keeps trying, and how each attempt is bounded. */
interface WaitSettings {
  /** Time allowed for retrying (default 60 s); no attempt starts after it. */
  readonly timeoutMs?: number;
  /** Pause between attempts (default 1 s). */
  readonly intervalMs?: number;
  /** Time allowed for one attempt, and never more than what is left of `timeoutMs` (at least 1 s). */
  readonly attemptTimeoutMs: number;
  readonly now?: () => number;
}

/** Re-run `command` until it exits 0 (returns that output) or the time is up (rejects with the last attempt's status and output). */
export async function waitUntilSucceeds(run: CommandRunner, command: string, settings: WaitSettings): Promise<string> {
  const timeoutMs = settings.timeoutMs ?? consoleDefaults.waitUntilTimeoutMs;
  const r = await retryUntilSucceeds((attemptMs) => run(command, attemptMs), {
    timeoutMs,
    intervalMs: settings.intervalMs ?? consoleDefaults.waitUntilIntervalMs,
    attemptTimeoutMs: settings.attemptTimeoutMs,
    now: settings.now,
  });
  if (r.succeeded) return r.output;
  throw new AssertionFailed(
    `command ${scriptSummary(command)} did not succeed within ${Math.round(timeoutMs)} ms (${r.attempts} attempts); last exit status ${r.last.status}, last output:\n${tail(r.last.output)}`,
    `${r.attempts} attempts within ${Math.round(timeoutMs)} ms; the last:\n${evidenceOf(command, r.last)}`,
  );
}

/** How a retried command ended: its first success, or the last failure after the deadline. */
type Retried = { readonly succeeded: true; readonly output: string } | { readonly succeeded: false; readonly last: CommandResult; readonly attempts: number };

/**
 * Run `attempt` until it exits 0 or the next one would start after `timeoutMs`. Each attempt is
 * bounded by `attemptTimeoutMs` and by what is left of the deadline (at least 1 s), so the whole
 * wait ends near `timeoutMs`.
 */
export async function retryUntilSucceeds(
  attempt: (timeoutMs: number) => Promise<CommandResult>,
  options: { readonly timeoutMs: number; readonly intervalMs: number; readonly attemptTimeoutMs: number; readonly now?: () => number },
): Promise<Retried> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  for (let attempts = 1; ; attempts++) {
    const last = await attempt(Math.max(1000, Math.min(options.attemptTimeoutMs, deadline - now())));
    if (last.status === 0) return { succeeded: true, output: last.output };
    if (now() + options.intervalMs >= deadline) return { succeeded: false, last, attempts };
    await sleep(options.intervalMs);
  }
}
