// kittest shell: boot an image and attach the user's terminal to its serial console.
// Ctrl-] leaves and powers the guest off; the console log is saved all the same.
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { prepareBoot } from '../boot/prepare.ts';
import { BootSession } from '../boot/session.ts';
import { attachTerminal } from '../boot/terminal.ts';
import { UsageError } from '../errors.ts';
import { exitCodeFor, stopOnInterrupt } from '../util/signals.ts';
import { safeForTerminal } from '../util/terminal-safe.ts';
import { requirePrintablePath, requireWritableFolder } from '../util/path-options.ts';
import { makeFolders } from '../util/make-folders.ts';
import { tmpdir } from 'node:os';

/** The console log file of `target` in the log folder; refused when something other than a file is there. */
function requireLogFile(option: string, path: string, target: string): string {
  const file = join(resolve(path), `${target}-console.log`);
  const existing = statSync(file, { throwIfNoEntry: false });
  if (existing && !existing.isFile()) {
    throw new UsageError(`${option} ${path}: ${file} is ${existing.isDirectory() ? 'a folder' : 'not a regular file'}; the console log cannot be written there`);
  }
  return file;
}

export async function shellCommand(values: Record<string, unknown>): Promise<number> {
  if (typeof values.image === 'string') requirePrintablePath('--image', values.image);
  requirePrintablePath('TMPDIR', tmpdir());
  // The console log is opened once the guest is about to boot: a folder that cannot take it is refused now.
  const [logOption, logPath] = typeof values.log === 'string' ? ['--log', values.log] : ['the console log folder (--log)', join('out', 'shell')];
  requireWritableFolder(logOption, logPath);
  const { target, image, accel } = await prepareBoot({
    targetFolders: values.targets as string[] | undefined,
    target: typeof values.arch === 'string' ? values.arch : undefined,
    image: typeof values.image === 'string' ? values.image : undefined,
    format: typeof values.format === 'string' ? values.format : undefined,
    requireOutputs: (target) => void requireLogFile(logOption, logPath, target.name),
  });
  const logFile = requireLogFile(logOption, logPath, target.name);
  makeFolders(dirname(logFile));
  let logFailed = false;
  const unsafe = target.qemu.unsafe ? ` [unsafe QEMU settings: ${target.qemu.unsafe.reason}]` : '';
  process.stderr.write(`kittest: booting ${safeForTerminal(image.prefix)} on ${target.name} [${accel.reason}]${safeForTerminal(unsafe)}; Ctrl-] leaves and powers off\n`);
  const session = BootSession.start({
    target,
    image,
    accel,
    consoleLog: logFile,
    // A full disk stops the log, not the session the user is in.
    onLogError: (error) => {
      logFailed = true;
      process.stderr.write(`\nkittest: ${safeForTerminal(error.message)}; the console log stops here\n`);
    },
  });
  // SIGTERM (or a Ctrl-C from another terminal) leaves as Ctrl-] does: guest off, terminal restored, log kept.
  // Attached before QEMU's first byte arrives, so the person sees the whole boot.
  const interrupt = stopOnInterrupt('powering the guest off');
  const { exit } = await attachTerminal(session, { signal: interrupt.signal });
  const { exit: final } = await session.stop();
  interrupt.release();
  const logKept = !logFailed && session.hostError === undefined;
  process.stderr.write(`\nkittest: ${exit ? 'the guest powered off' : 'left the console, guest powered off'}; console log${logKept ? '' : ' (incomplete)'}: ${logFile}\n`);
  if (interrupt.signal.aborted) return exitCodeFor(interrupt.signal.reason);
  return exit && final && final.code !== 0 && !final.stoppedByHarness ? 1 : 0;
}
