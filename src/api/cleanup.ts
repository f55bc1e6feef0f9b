// The library's machines must not outlive the program that booted them: on SIGINT or SIGTERM, and
// at exit, they are killed. The listeners exist only while machines do, and they take nothing over:
// a program with its own listener for the signal decides what happens next; one without it ends
// as that signal would have ended it without kittest.
import type { BootSession } from '../boot/session.ts';

const live = new Set<BootSession>();
const interrupted = new WeakSet<BootSession>();
const signals = ['SIGINT', 'SIGTERM'] as const;

/** Kill every machine now (synchronous: QEMU gets SIGKILL, its run folder goes). */
function killAll(): void {
  for (const session of live) {
    interrupted.add(session);
    session.abort('interrupted');
  }
  live.clear();
  release();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  // No one else listens: re-raise it, now with the default action (the process ends by the signal).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function release(): void {
  for (const signal of signals) process.off(signal, onSignal);
  process.off('exit', killAll);
}

/** Whether a signal (or the program's exit) killed `session`: its boot was interrupted, not failed. */
export function killedWithProcess(session: BootSession): boolean {
  return interrupted.has(session);
}

/** Kill `session` with the program's end; returns the function that forgets it (once it is stopped). */
export function stopWithProcess(session: BootSession): () => void {
  if (live.size === 0) {
    for (const signal of signals) process.on(signal, onSignal);
    process.on('exit', killAll);
  }
  live.add(session);
  return () => {
    if (live.delete(session) && live.size === 0) release();
  };
}
