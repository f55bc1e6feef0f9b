// The failing image's time to its verdict against the good image's: a failing case costs its
// settle window once (the cases are judged side by side, their windows overlap), not once per case.
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CaseDef } from '../cases/case-files.ts';
import type { Target } from '../config/targets.ts';
import type { BootFiles } from '../images/boot-files.ts';
import { runTarget } from '../matrix/run-target.ts';
import type { AccelChoice } from '../qemu/accel.ts';
import { goal, type FailingResult, type VerdictRun } from './result.ts';
import { median, spread } from './stats.ts';
import type { BenchPartInput } from './part.ts';

/** Everything the failing-image measurement needs. */
interface FailingInput extends BenchPartInput {
  readonly target: Target;
  readonly good: { readonly image: BootFiles; readonly bytes: number };
  readonly failing: { readonly image: BootFiles; readonly bytes: number };
  /** The case the failing image must fail (its settle window is the allowance, unless allowanceMs says otherwise). */
  readonly failingCase: string;
  /** How much later the failing image's verdict may come than the good one's. */
  readonly allowanceMs?: number;
  readonly cases: readonly CaseDef[];
  readonly accel: AccelChoice;
}

/** One full run (every case, console log written); verdict = the last case's verdict, ms since runTarget was called. */
async function verdictOnce(input: FailingInput, which: 'good' | 'failing', i: number): Promise<VerdictRun> {
  const { image, bytes } = input[which];
  // Named by the failing image too: two failing-image parts share one scratch folder.
  const artifactsDir = join(input.tmpDir, `verdict-${input.target.name}-${basename(input.failing.image.prefix)}-${which}-${i + 1}`);
  rmSync(artifactsDir, { recursive: true, force: true });
  let verdictMs = 0;
  const started = performance.now();
  const report = await runTarget({
    target: input.target,
    image,
    imageInfo: { path: image.prefix, format: image.format, sha256: {}, sizeBytes: bytes },
    cases: input.cases,
    accel: input.accel,
    artifactsDir,
    signal: input.signal,
    onCase: () => {
      verdictMs = Math.round(performance.now() - started);
    },
  });
  const wallMs = Math.round(performance.now() - started);
  const failed = report.cases.filter((c) => c.status !== 'passed').map((c) => `${c.id} ${c.status}`);
  return { verdictMs, wallMs, status: report.status, notPassed: failed };
}

/** Whether a run did what it had to: the good image passes; the failing one fails its case, by verdict (no error). */
export function counts(run: VerdictRun, which: 'good' | 'failing', failingCase: string): boolean {
  return which === 'good' ? run.status === 'passed' : run.status === 'failed' && run.notPassed.includes(`${failingCase} failed`) && !run.notPassed.some((c) => c.endsWith(' error'));
}

/** The goal: the failing image's verdict comes at most one settle window after the good image's. */
export function failingGoal(good: readonly number[], failing: readonly number[], settleMs: number) {
  const difference = good.length && failing.length ? median(failing) - median(good) : undefined;
  return { differenceMs: difference, goal: goal(difference, 'max', settleMs) };
}

/** N interleaved pairs (good failing, failing good, ...) on one target. */
export async function measureFailing(input: FailingInput): Promise<FailingResult> {
  const def = input.cases.find((c) => c.id === input.failingCase);
  const settleMs = input.allowanceMs ?? (typeof def?.settings.settleMs === 'number' ? def.settings.settleMs : 0);
  const runs = { good: [] as VerdictRun[], failing: [] as VerdictRun[] };
  for (let i = 0; i < input.runs && !input.signal?.aborted; i++) {
    for (const which of i % 2 === 0 ? (['good', 'failing'] as const) : (['failing', 'good'] as const)) {
      if (input.signal?.aborted) break;
      const label = `verdict ${input.target.name} ${which} ${i + 1}/${input.runs}`;
      const run = await input.sample(label, () => verdictOnce(input, which, i));
      runs[which].push(run);
      input.progress(`${label}: last verdict at ${(run.verdictMs / 1000).toFixed(1)} s, ${run.status}${run.notPassed.length ? ` (${run.notPassed.join(', ')})` : ''}`);
    }
  }
  const good = runs.good.filter((r) => counts(r, 'good', input.failingCase)).map((r) => r.verdictMs);
  const failing = runs.failing.filter((r) => counts(r, 'failing', input.failingCase)).map((r) => r.verdictMs);
  const { differenceMs, goal: g } = failingGoal(good, failing, settleMs);
  return {
    target: input.target.name,
    image: input.failing.image.prefix,
    goodImage: input.good.image.prefix,
    failingCase: input.failingCase,
    settleMs,
    good: { runs: runs.good, verdict: spread(good) },
    failing: { runs: runs.failing, verdict: spread(failing) },
    differenceMs,
    goal: g,
  };
}
