// Part 5 of the bench: how long after a kernel panic line the harness gives its verdict.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CaseDef } from '../cases/case-files.ts';
import type { Target } from '../config/targets.ts';
import { compileFailurePatterns } from '../console/failure-patterns.ts';
import type { BootFiles } from '../images/boot-files.ts';
import { runTarget } from '../matrix/run-target.ts';
import type { AccelChoice } from '../qemu/accel.ts';
import { firstFailureLine } from './console-log.ts';
import { goal, type PanicResult, type PanicSample } from './result.ts';
import { spread } from './stats.ts';
import type { BenchPartInput } from './part.ts';

/** Everything the panic measurement needs. */
interface PanicInput extends BenchPartInput {
  readonly target: Target;
  readonly image: BootFiles;
  readonly imageBytes: number;
  readonly cases: readonly CaseDef[];
  readonly accel: AccelChoice;
}

/** The goal of part 5: the verdict within a second of the panic line. */
const panicGoalMs = 1000;

/**
 * One run of the panicking image. Times are on the console engine's clock, whose zero is when
 * runTarget made the engine: a little after `started` here, so verdict and end times are upper
 * bounds (by the few milliseconds runTarget spends writing its argv files before QEMU starts).
 * The panic time is the console log's stamp, taken when the line's first character arrived.
 */
async function panicOnce(input: PanicInput, i: number): Promise<PanicSample> {
  const artifactsDir = join(input.tmpDir, `panic-${i + 1}`);
  rmSync(artifactsDir, { recursive: true, force: true });
  let verdictAtMs: number | undefined;
  const started = performance.now();
  const report = await runTarget({
    target: input.target,
    image: input.image,
    imageInfo: { path: input.image.prefix, format: input.image.format, sha256: {}, sizeBytes: input.imageBytes },
    cases: input.cases,
    accel: input.accel,
    artifactsDir,
    signal: input.signal,
    onCase: (c) => {
      if (c.id === 'boot' && verdictAtMs === undefined) verdictAtMs = Math.round(performance.now() - started);
    },
  });
  const endAtMs = Math.round(performance.now() - started);
  const boot = report.cases.find((c) => c.id === 'boot');
  const log = readFileSync(join(artifactsDir, 'console.log'), 'utf8');
  const fatal = firstFailureLine(log, compileFailurePatterns(input.target.console.failurePatterns));
  return { line: fatal?.line, panicAtMs: fatal?.atMs, verdictAtMs, endAtMs, status: boot?.status ?? 'missing', message: boot?.message ?? '' };
}

/** N runs of the panicking image; latency = verdict time - panic line time. */
export async function measurePanic(input: PanicInput): Promise<PanicResult> {
  const samples: PanicSample[] = [];
  for (let i = 0; i < input.runs && !input.signal?.aborted; i++) {
    const label = `panic ${input.target.name} ${i + 1}/${input.runs}`;
    const s = await input.sample(label, () => panicOnce(input, i));
    samples.push(s);
    const latency = s.verdictAtMs !== undefined && s.panicAtMs !== undefined ? `${Math.round(s.verdictAtMs - s.panicAtMs)} ms after the panic line` : 'no panic line or no verdict';
    input.progress(`${label}: boot ${s.status}, ${latency}`);
  }
  const judged = samples.filter((s) => s.status === 'failed' && s.panicAtMs !== undefined && s.verdictAtMs !== undefined);
  const latency = spread(judged.map((s) => (s.verdictAtMs as number) - (s.panicAtMs as number)));
  return {
    target: input.target.name,
    image: input.image.prefix,
    samples,
    latency,
    toEnd: spread(judged.map((s) => (s.endAtMs as number) - (s.panicAtMs as number))),
    latencyGoal: goal(latency?.max, 'max', panicGoalMs),
  };
}
