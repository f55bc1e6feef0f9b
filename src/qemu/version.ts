// Which QEMU a run used: recorded in reports, conformance statements and bench results.
import { execFile } from 'node:child_process';

/** "7.2.22" from the first line of `qemu-system-* --version`, or undefined. */
export function qemuVersionOf(output: string): string | undefined {
  return /QEMU emulator version (\S+)/.exec(output)?.[1];
}

/** The version a QEMU binary reports, or its error in brackets. */
export function qemuVersion(binary: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (error, stdout) => {
      resolve(qemuVersionOf(String(stdout)) ?? `[${error ? error.message.split('\n')[0] : 'unknown version'}]`);
    });
  });
}
