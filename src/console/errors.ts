// The console's ways to fail. All are MachineErrors (the machine or its console broke,
// not an assertion); `kind` tells them apart, `lastLines` is what the console showed last.
import { MachineError } from '../errors.ts';

/** Indent quoted guest lines under a message. */
export function quoteLines(lines: readonly string[]): string {
  return lines.length === 0 ? '  (console is empty)' : lines.map((l) => `  | ${l}`).join('\n');
}

/** A wait ran out of time; the message names what was awaited and quotes the last console lines. */
export class ConsoleTimeoutError extends MachineError {
  readonly kind = 'timeout' as const;
  readonly timedOut = true;
  constructor(
    readonly waitingFor: string,
    readonly timeoutMs: number,
    lastLines: readonly string[],
  ) {
    super(`timed out after ${Math.round(timeoutMs)} ms waiting for ${waitingFor}; last console lines:\n${quoteLines(lastLines)}`, false, lastLines);
  }
}

/** The console stream closed (QEMU exited, the pipe broke) while something was awaited. */
export class ConsoleEndedError extends MachineError {
  readonly kind = 'ended' as const;
  constructor(
    readonly reason: string,
    readonly waitingFor: string,
    infrastructure: boolean,
    lastLines: readonly string[],
  ) {
    super(`console ended (${reason}) while waiting for ${waitingFor}; last console lines:\n${quoteLines(lastLines)}`, infrastructure, lastLines);
  }
}

/** The guest printed a fatal line (kernel panic, Oops, …). */
export class ConsoleFailureError extends MachineError {
  readonly kind = 'failure' as const;
  constructor(
    readonly pattern: string,
    readonly line: string,
    readonly waitingFor: string,
    lastLines: readonly string[],
  ) {
    super(`guest console showed "${pattern}" while waiting for ${waitingFor}: ${line}\nlast console lines:\n${quoteLines(lastLines)}`, false, lastLines);
  }
}

/** A command's output frame could not be read back intact, even after retries. */
export class FrameError extends MachineError {
  readonly kind = 'frame' as const;
  constructor(
    readonly detail: string,
    readonly attempts: number,
    lastLines: readonly string[],
  ) {
    super(`command output could not be read back intact after ${attempts} attempt(s): ${detail}`, true, lastLines);
  }
}
