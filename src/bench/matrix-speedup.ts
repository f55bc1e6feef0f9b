// Part 7 of the bench: the whole matrix through the CLI, `kittest run --jobs 1` against `--jobs 2`.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../config/paths.ts';
import type { Report } from '../report/model.ts';
import { goal, type MatrixResult } from './result.ts';
import { idealSpeedup, listMakespan, median, ratio, spread } from './stats.ts';
import type { BenchPartInput } from './part.ts';

/** Everything the matrix measurement needs. */
interface MatrixInput extends BenchPartInput {
  /** Target names in the order `kittest run` takes them. */
  readonly targets: readonly string[];
  /** Passed as --arch: the targets above, named (a target that is not in the default matrix is run all the same). */
  readonly arch: string;
}

/** A goal of part 7: two jobs finish the matrix at least 1.8 times as fast as one. */
export const speedupGoal = 1.8;

/** A goal of part 7: the whole matrix with --jobs 2 within 2 minutes (wall time of the CLI, Node start and image hashing included). */
export const matrixWallGoalMs = 120_000;

/** One `kittest run` in a child process: its wall time, exit code and per-target run times from --json. */
async function cliRun(input: MatrixInput, jobs: number, i: number): Promise<{ wallMs: number; exitCode: number; perTargetMs: Record<string, number> }> {
  const json = join(input.tmpDir, `matrix-jobs${jobs}-${i + 1}.json`);
  const out = join(input.tmpDir, `matrix-jobs${jobs}-${i + 1}.log`);
  rmSync(json, { force: true });
  const args = [join(projectRoot, 'bin', 'kittest.js'), 'run', '--jobs', String(jobs), '--json', json, '--arch', input.arch];
  const fd = openSync(out, 'w');
  const started = performance.now();
  let exitCode: number;
  try {
    exitCode = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', fd, fd], env: { ...process.env, NO_COLOR: '1' } });
      const stop = () => child.kill('SIGINT');
      input.signal?.addEventListener('abort', stop, { once: true });
      child.once('error', reject);
      child.once('close', (code, signal) => {
        input.signal?.removeEventListener('abort', stop);
        resolve(code ?? (signal ? 128 : 1));
      });
    });
  } finally {
    closeSync(fd);
  }
  const wallMs = Math.round(performance.now() - started);
  const perTargetMs: Record<string, number> = {};
  try {
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    for (const run of report.runs) perTargetMs[run.target] = run.durationMs;
  } catch {
    // No report: the exit code says what went wrong, the log in tmpDir says why.
  }
  return { wallMs, exitCode, perTargetMs };
}

/** N interleaved pairs of matrix runs (jobs 1 then 2, then 2 then 1, ...). */
export async function measureMatrix(input: MatrixInput): Promise<MatrixResult> {
  const side = () => ({ wallMs: [] as number[], perTargetMs: {} as Record<string, number[]>, exitCodes: [] as number[] });
  const bySide = { 1: side(), 2: side() };
  for (let i = 0; i < input.runs && !input.signal?.aborted; i++) {
    for (const jobs of i % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
      if (input.signal?.aborted) break;
      const label = `matrix --jobs ${jobs} ${i + 1}/${input.runs}`;
      const r = await input.sample(label, () => cliRun(input, jobs, i));
      const s = bySide[jobs];
      s.exitCodes.push(r.exitCode);
      // Only a matrix where every case passed did the full work.
      if (r.exitCode === 0) s.wallMs.push(r.wallMs);
      for (const [target, ms] of Object.entries(r.perTargetMs)) s.perTargetMs[target] = [...(s.perTargetMs[target] ?? []), ms];
      const each = Object.entries(r.perTargetMs).map(([t, ms]) => `${t} ${(ms / 1000).toFixed(1)}`).join(', ');
      input.progress(`${label}: ${(r.wallMs / 1000).toFixed(1)} s, exit ${r.exitCode} (${each})`);
    }
  }
  const one = spread(bySide[1].wallMs);
  const two = spread(bySide[2].wallMs);
  const lengths = input.targets.map((t) => median(bySide[1].perTargetMs[t] ?? []));
  const known = lengths.every((l) => Number.isFinite(l));
  const total = lengths.reduce((s, l) => s + l, 0);
  return {
    targets: input.targets,
    jobs1: { ...bySide[1], wall: one },
    jobs2: { ...bySide[2], wall: two },
    speedup: goal(ratio(one?.median, two?.median), 'min', speedupGoal),
    idealSpeedup: known ? idealSpeedup(lengths, 2) : undefined,
    orderSpeedup: known ? ratio(total, listMakespan(lengths, 2)) : undefined,
    slowdown: Object.fromEntries(input.targets.map((t) => [t, ratio(median(bySide[2].perTargetMs[t] ?? []), median(bySide[1].perTargetMs[t] ?? []))])),
    wallGoal: goal(two?.median, 'max', matrixWallGoalMs),
  };
}
