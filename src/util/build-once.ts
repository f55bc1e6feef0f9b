// Make a cache folder once, whoever asks: under an exclusive lock (other kittest processes wait),
// in a temporary folder beside it that is renamed into place when complete. A failed or
// interrupted build leaves nothing half-written, and a second call is a cache hit.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type OnWait, withFileLock } from './file-lock.ts';
import { onInterruptExit } from './signals.ts';

/** Where a build writes: `out` becomes the final folder, `scratch` is removed afterwards. */
interface Staging {
  out: string;
  scratch: string;
}

/** The lock file guarding builds of `finalDir`. */
function lockFileOf(finalDir: string): string {
  return `${finalDir}.lock`;
}

/** Temporary folders of builds of `finalDir`, as buildOnce names them. */
function leftovers(finalDir: string): string[] {
  const parent = dirname(finalDir);
  const prefix = `${basename(finalDir)}.tmp-`;
  return existsSync(parent) ? readdirSync(parent).filter((entry) => entry.startsWith(prefix)).map((entry) => join(parent, entry)) : [];
}

/**
 * Make `finalDir` unless `isDone(finalDir)`: holding the lock `finalDir.lock`, `make` writes into a
 * temporary `finalDir.tmp-PID-RANDOM/out`, which is then renamed to `finalDir`. Temporary folders of
 * builds that died and an unfinished `finalDir` are removed first (nobody else can be writing them:
 * we hold the lock). Resolves with true when the folder was already done (maybe by another process
 * we waited for), false when this call made it.
 */
export async function buildOnce(finalDir: string, isDone: (dir: string) => boolean, make: (staging: Staging) => Promise<void>, onWait?: OnWait): Promise<boolean> {
  if (isDone(finalDir)) return true;
  return withFileLock(
    lockFileOf(finalDir),
    async () => {
      if (isDone(finalDir)) return true;
      for (const dir of leftovers(finalDir)) rmSync(dir, { recursive: true, force: true });
      const tmp = `${finalDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      const staging = { out: join(tmp, 'out'), scratch: join(tmp, 'scratch') };
      // A Ctrl-C exits at once (src/util/signals.ts): the half-made folder goes with it.
      const forget = onInterruptExit(() => rmSync(tmp, { recursive: true, force: true }));
      try {
        mkdirSync(staging.out, { recursive: true });
        mkdirSync(staging.scratch, { recursive: true });
        await make(staging);
        rmSync(finalDir, { recursive: true, force: true });
        renameSync(staging.out, finalDir);
        return false;
      } finally {
        forget();
        rmSync(tmp, { recursive: true, force: true });
      }
    },
    onWait,
  );
}
