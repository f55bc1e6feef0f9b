// Running host tools (dpkg-deb, depmod, zstd, apt-get) with clear, one-line errors.
import { spawn } from 'node:child_process';
import { HostError } from '../errors.ts';
import { onInterruptExit } from '../util/signals.ts';

interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Run a program without a shell; resolves with its output and exit code (never throws on exit status). */
export function run(program: string, args: readonly string[], options: { cwd?: string; input?: string; stdoutFile?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', options.stdoutFile ?? 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    // kittest exiting on Ctrl-C must not leave the tool writing into a folder being removed.
    const forget = onInterruptExit(() => child.kill('SIGTERM'));
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      forget();
      reject(error.code === 'ENOENT' ? new HostError(`${program} is not installed on this host`) : error);
    });
    child.on('close', (code) => {
      forget();
      resolvePromise({ stdout, stderr, code: code ?? 1 });
    });
    if (child.stdin) {
      child.stdin.on('error', () => {}); // the program may exit without reading its input
      child.stdin.end(options.input);
    }
  });
}

/** Run a program and throw HostError with its last stderr line if it fails. */
export async function runChecked(program: string, args: readonly string[], options: { cwd?: string; stdoutFile?: number } = {}): Promise<RunResult> {
  const result = await run(program, args, options);
  if (result.code !== 0) {
    const last = result.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit status ${result.code}`;
    throw new HostError(`${program} ${args.slice(0, 3).join(' ')} failed: ${last}`);
  }
  return result;
}
