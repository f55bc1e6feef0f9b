// Reading a run's console.log artifact ("[+S.SSSs] line", stamped when the line's first character arrived).
import { matchFailure, type FailurePattern } from '../console/failure-patterns.ts';

const STAMPED = /^\[\+(\d+\.\d+)s\] (.*)$/;

/** The first line a failure pattern matches, with its stamp in milliseconds since the console started. */
export function firstFailureLine(log: string, patterns: readonly FailurePattern[]): { atMs: number; line: string; pattern: string } | undefined {
  for (const raw of log.split('\n')) {
    const m = STAMPED.exec(raw);
    if (!m) continue;
    const line = m[2] ?? '';
    const pattern = matchFailure(line, patterns);
    if (pattern !== undefined) return { atMs: Math.round(Number(m[1]) * 1000), line, pattern };
  }
  return undefined;
}

/** How many framed commands printed their begin marker (a nonce of 12 hex digits, "_b", alone on its line). */
export function countFrames(log: string): number {
  return log.split('\n').filter((raw) => /^[0-9a-f]{12}_b$/.test(STAMPED.exec(raw)?.[2] ?? '')).length;
}

/**
 * When the kernel's clock started, in milliseconds on the console's clock. Every kernel line with
 * a printk time bounds it from above (its console stamp minus its printk time: the line cannot have
 * arrived before it was written); the kernel's console often replays its early lines late, so the
 * tightest bound, the smallest, is taken. Undefined when the log has no such line.
 */
export function kernelStartOnHost(log: string): number | undefined {
  let best: number | undefined;
  for (const raw of log.split('\n')) {
    const m = STAMPED.exec(raw);
    const k = m && /^\[\s*(\d+\.\d+)\] /.exec(m[2] ?? '');
    if (!m || !k) continue;
    const bound = Math.max(0, Math.round(Number(m[1]) * 1000 - Number(k[1]) * 1000));
    if (best === undefined || bound < best) best = bound;
  }
  return best;
}
