// The small, fixed set of error kinds kittest raises. Each maps to an exit code;
// only src/cli.ts turns them into process exits.

/** Exit codes used by every command. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** report verify: the statement holds but a run did not pass. */
  runsFailed: 3,
  internal: 70,
  sigint: 130,
  sigterm: 143,
} as const;

/** Base class: `exitCode` says how the CLI must exit, `message` is one line. */
export class KittestError extends Error {
  readonly exitCode: number = ExitCode.usage;
}

/** The user asked for something that does not exist or makes no sense (unknown flag, arch, case). */
export class UsageError extends KittestError {
  override readonly name = 'UsageError';
}

/** A data file (target, case, image definition) is malformed; the message names file:line and field. */
export class ConfigError extends KittestError {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${detail}`);
  }
}

/** The host lacks something (a QEMU binary, firmware, disk space, the Debian archive). */
export class HostError extends KittestError {
  override readonly name = 'HostError';
}

/** A file kittest writes could not be written (disk full, I/O error): one line naming the file and the errno. */
export function writeFailed(path: string, error: unknown): HostError {
  const e = error as NodeJS.ErrnoException;
  // Node's "ENOSPC: no space left on device, write" becomes "ENOSPC (no space left on device)".
  const described = e?.code && typeof e.message === 'string' ? /^\w+: ([^,]+)/.exec(e.message)?.[1] : undefined;
  const why = e?.code ? `${e.code}${described ? ` (${described})` : ''}` : String(e?.message ?? error);
  return new HostError(`writing ${path} failed: ${why}`);
}

/** The first line of an error's message (or of what was thrown), for one-line reports. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** The machine under test broke in a way that is not an assertion (QEMU died, console lost). */
export class MachineError extends Error {
  override readonly name = 'MachineError';
  constructor(
    message: string,
    readonly infrastructure: boolean,
    readonly lastLines: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A conformance assertion did not hold. `evidence` is what the guest showed. */
export class AssertionFailed extends Error {
  override readonly name = 'AssertionFailed';
  constructor(
    message: string,
    readonly evidence?: string,
  ) {
    super(message);
  }
}
