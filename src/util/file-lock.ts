// An exclusive lock shared by every kittest process on the host (two CI jobs on one runner sharing
// .cache): the kernel's flock(2) on a lock file, held by a small `flock` child process. The lock goes
// away with the process holding it however it ends (its stdin closes, so the child exits): no stale
// lock to detect, no pid to trust across containers.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { HostError } from '../errors.ts';

/** Tells that another holder has the lock: who wrote the lock file last ("pid N on HOST since TIME"). */
export type OnWait = (holder: string) => void;

/** How long to wait quietly before telling `onWait` that someone else holds the lock. */
const quietWaitMs = 1000;

function holderOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim() || 'another process';
  } catch {
    return 'another process';
  }
}

/** Take the exclusive lock on `file` (created if missing), waiting for its holder; resolves with the release function. */
export function acquireLock(file: string, onWait?: OnWait): Promise<() => Promise<void>> {
  mkdirSync(dirname(file), { recursive: true });
  // Its own process group, so a Ctrl-C meant for kittest does not drop the lock before kittest cleans up.
  const child = spawn('flock', ['--exclusive', file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    let stderr = '';
    let held = false;
    const timer = onWait ? setTimeout(() => onWait(holderOf(file)), quietWaitMs) : undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (held || !chunk.toString('utf8').includes('locked')) return;
      held = true;
      clearTimeout(timer);
      writeFileSync(file, `pid ${process.pid} on ${hostname()} since ${new Date().toISOString()}\n`);
      resolve(async () => {
        child.stdin.end();
        await exited;
      });
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new HostError('flock not found: install the Debian package util-linux') : error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!held) reject(new HostError(`cannot lock ${file}: flock ended with ${signal ?? `exit code ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
  });
}

/** Run `fn` holding the exclusive lock on `file`: one holder at a time, in this process or any other. */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, onWait?: OnWait): Promise<T> {
  const release = await acquireLock(file, onWait);
  try {
    return await fn();
  } finally {
    await release();
  }
}
