// SIGINT and SIGTERM for every command, in one place. Work that can stop cleanly (the machines of
// run, shell and bench) holds `stopOnInterrupt` and is told through an AbortSignal; anything else
// (an image build, a download) cannot be stopped halfway, so the registered cleanups run (temp
// folders, child processes) and kittest exits at once with 130 or 143.
import { ExitCode } from '../errors.ts';

type Interrupt = 'SIGINT' | 'SIGTERM';

/** The exit code for an interrupt: 128 + the signal's number, as shells report it. */
export function exitCodeFor(signal: unknown): number {
  return signal === 'SIGTERM' ? ExitCode.sigterm : ExitCode.sigint;
}

const cleanups = new Set<() => void>();
const stoppers = new Map<AbortController, string>();
let exitNow: ((code: number) => void) | undefined;
let received = false;

/** Run `cleanup` (synchronous) if kittest exits on a signal; returns the function that forgets it again. */
export function onInterruptExit(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
}

/** Hold off the exit: a signal aborts `signal` (its reason is the signal's name) and says `doing`; a second one exits anyway. */
export function stopOnInterrupt(doing: string): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  stoppers.set(controller, doing);
  return { signal: controller.signal, release: () => void stoppers.delete(controller) };
}

function handle(signal: Interrupt): void {
  const first = !received;
  received = true;
  if (first && stoppers.size > 0) {
    process.stderr.write(`kittest: ${signal} received, ${[...new Set(stoppers.values())].join('; ')}\n`);
    for (const controller of stoppers.keys()) controller.abort(signal);
    return;
  }
  process.stderr.write(`kittest: ${signal} received, ${first ? 'stopping' : 'stopping now'}\n`);
  // Newest first: children are killed before the folders they write into are removed.
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // One cleanup failing must not keep the others from running.
    }
  }
  cleanups.clear();
  exitNow?.(exitCodeFor(signal));
}

/** Listen for SIGINT and SIGTERM (once, from the entry point); `exit` ends the process with the given code. */
export function installSignalHandlers(exit: (code: number) => void): void {
  if (exitNow) return;
  exitNow = exit;
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
