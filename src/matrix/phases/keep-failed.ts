// `kittest run --keep-failed`: a failed run's machine handed to a person before it is stopped.
import type { BootSession } from '../../boot/session.ts';
import type { CaseReport } from '../../report/model.ts';

/**
 * Called before the machine is stopped when a case `failed` (not error, skipped or interrupted), the
 * run was not interrupted, and the guest is alive (QEMU running, no panic, no host error). The machine
 * stays up until it resolves; `failed` are the failed cases with their verdicts. What the machine does
 * meanwhile (a panic the person causes, the time spent) does not change the run's report. Resolves
 * with whether it held the machine (with --jobs, only the first failed run is held; the others stop as usual).
 */
export type KeepFailed = (session: BootSession, failed: readonly CaseReport[]) => Promise<boolean>;

/** When (epoch ms) and for how long a person held the machine. */
export interface Kept {
  readonly since: number;
  readonly heldMs: number;
}

/** Hand a failed run's machine to `hook` when it applies; undefined when it was not held. */
export async function keepFailed(hook: KeepFailed | undefined, session: BootSession, failed: readonly CaseReport[], signal: AbortSignal | undefined): Promise<Kept | undefined> {
  const { engine } = session;
  if (!hook || failed.length === 0 || signal?.aborted) return undefined;
  // A crashed guest has no console to type into; a machine QEMU no longer runs has nothing to hold.
  if (!session.machine.running || engine.failure || engine.ended || session.hostError) return undefined;
  const since = Date.now();
  const at = engine.now();
  let held = true;
  try {
    held = await hook(session, failed);
  } catch {
    // The person's console failing must not cost the run its report; the hook says what went wrong.
  }
  // A run the hook passed over (another machine is held) was never the person's: its report,
  // a crash after its last verdict included, stays the image's.
  if (!held) return undefined;
  engine.mark('console-kept', at);
  return { since, heldMs: Date.now() - since };
}
