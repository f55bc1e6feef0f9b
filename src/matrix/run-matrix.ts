// The matrix of `kittest run`: every planned run (target, image), at most `jobs` at once, each
// retried for infrastructure faults only, its image checked to come out exactly as it went in.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { AccelWanted } from '../boot/prepare.ts';
import type { CaseDef } from '../cases/case-files.ts';
import type { Target } from '../config/targets.ts';
import type { BootFiles } from '../images/boot-files.ts';
import { checkBootFiles } from '../images/check-medium.ts';
import type { ImagePlan } from '../images/plan.ts';
import { type AccelChoice, detectAccel } from '../qemu/accel.ts';
import type { CaseReport, RunReport } from '../report/model.ts';
import { hostFailedRunStatus, interruptedBeforeStart, isInfrastructureFault } from '../report/status.ts';
import { sha256File } from '../util/sha256.ts';
import type { KeepFailed } from './phases/keep-failed.ts';
import { runTarget } from './run-target.ts';
import { runBounded } from './schedule.ts';
import { withInfraRetries } from './with-retries.ts';

/** What the matrix tells its watcher (the terminal's live lines). */
export interface MatrixProgress {
  /** A run is about to boot, on this accelerator. */
  readonly started: (target: Target, image: BootFiles, accel: AccelChoice) => void;
  /** A case got its verdict; `next` is the case after it, if any. */
  readonly judged: (target: Target, report: CaseReport, next: CaseDef | undefined) => void;
  readonly done: (target: Target) => void;
}

interface MatrixRequest {
  readonly plans: readonly ImagePlan[];
  /** Every plan's image, checked and hashed (see `checkedImages`). */
  readonly images: ReadonlyMap<BootFiles, RunReport['image']>;
  readonly cases: readonly CaseDef[];
  readonly jobs: number;
  readonly retries: number;
  readonly accel: AccelWanted;
  /** Aborted on Ctrl-C: every machine stops, runs not started are reported interrupted. */
  readonly signal: AbortSignal;
  /** The artifacts folder (absolute): each attempt's files go in TARGET/attempt-N. */
  readonly artifacts?: string;
  readonly keepFailed?: KeepFailed;
  readonly progress: MatrixProgress;
}

/** Every image checked and hashed before any machine starts: bad input stops the whole run. */
export async function checkedImages(plans: readonly ImagePlan[]): Promise<Map<BootFiles, RunReport['image']>> {
  const infos = new Map<BootFiles, RunReport['image']>();
  for (const { image, kernelArch } of plans) if (!infos.has(image)) infos.set(image, await imageInfo(image, kernelArch));
  return infos;
}

/** Run the matrix; the reports in plan order. */
export function runMatrix(request: MatrixRequest): Promise<RunReport[]> {
  return runBounded(request.plans, request.jobs, async ({ target, image }) => {
    const info = request.images.get(image)!;
    if (request.signal.aborted) return interruptedRun(target, info, request.cases);
    const accel = await detectAccel(target, request.accel);
    request.progress.started(target, image, accel);
    const run = await withInfraRetries(
      (attempt) => attemptRun(request, { target, image, info, accel }, attempt),
      (report) => !request.signal.aborted && isInfrastructureFault(report),
      request.retries,
    );
    request.progress.done(target);
    return requireImageUnchanged(run, info);
  });
}

async function attemptRun(request: MatrixRequest, run: { target: Target; image: BootFiles; info: RunReport['image']; accel: AccelChoice }, attempt: number): Promise<RunReport> {
  const { target, image, info, accel } = run;
  const { cases } = request;
  const artifactsDir = request.artifacts ? join(request.artifacts, target.name, `attempt-${attempt}`) : undefined;
  const report = await runTarget({
    target,
    image,
    imageInfo: info,
    cases,
    accel,
    signal: request.signal,
    keepFailed: request.keepFailed,
    artifactsDir,
    onCase: (c) => request.progress.judged(target, c, cases[cases.findIndex((k) => k.id === c.id) + 1]),
  });
  if (artifactsDir) report.artifacts = artifactsDir;
  return report;
}

/** The image must come out exactly as it went in: a file changed during the run makes it an error. */
async function requireImageUnchanged(run: RunReport, info: RunReport['image']): Promise<RunReport> {
  for (const [file, before] of Object.entries(info.sha256)) {
    const after = await sha256File(file).catch((error: NodeJS.ErrnoException) => `unreadable (${error.code ?? error.message})`);
    if (after !== before) {
      run.status = hostFailedRunStatus;
      run.message = `${file} changed during the run (sha256 ${before} -> ${after})`;
    }
  }
  return run;
}

async function imageInfo(image: BootFiles, kernelArch: string | undefined): Promise<RunReport['image']> {
  await checkBootFiles(image);
  const sha256: Record<string, string> = {};
  let sizeBytes = 0;
  for (const file of image.files) {
    sha256[file] = await sha256File(file);
    sizeBytes += statSync(file).size;
  }
  return { path: image.prefix, format: image.format, sha256, sizeBytes, kernelArch };
}

/** The report of a run that never started because the matrix was interrupted. */
function interruptedRun(target: Target, image: RunReport['image'], cases: readonly CaseDef[]): RunReport {
  return {
    target: target.name,
    image,
    accel: 'none',
    accelReason: 'not started',
    ...interruptedBeforeStart.run,
    attempts: 0,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    qemu: { argv: [] },
    timeline: {},
    cases: cases.map((c) => ({ id: c.id, title: c.title, ...interruptedBeforeStart.case, durationMs: 0, evidence: '' })),
  };
}
