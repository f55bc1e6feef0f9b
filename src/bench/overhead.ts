// Parts 1, 2, 3 and 6 of the bench: a full harness run against the bare driver on one target,
// interleaved (whole run, and case phase against the minimal evidence script), the full verdict
// time against the target's limit, and the boot stages, timeline, memory and image size read from
// the harness runs.
import { prepareFirmware } from '../qemu/firmware.ts';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decideSystemContext } from '../boot/system-context.ts';
import type { CaseDef } from '../cases/case-files.ts';
import type { Target } from '../config/targets.ts';
import { consoleDefaults } from '../console/defaults.ts';
import type { BootFiles } from '../images/boot-files.ts';
import { runTarget } from '../matrix/run-target.ts';
import type { AccelChoice } from '../qemu/accel.ts';
import { buildArgv } from '../qemu/argv.ts';
import { randomMac } from '../qemu/mac.ts';
import { makeRunDir } from '../qemu/machine.ts';
import type { RunReport } from '../report/model.ts';
import { runBare, type BarePlan } from './bare-driver.ts';
import { countFrames, kernelStartOnHost } from './console-log.ts';
import { guestSteps, type GuestWork } from './guest-work.ts';
import { bareEvidenceMs, bootStageDurations, casePhaseMs, stepDurations } from './phases.ts';
import { goal, type BootResult, type OverheadResult } from './result.ts';
import { median, medianByKey, pairedRatio, ratio, spread } from './stats.ts';
import type { BenchPartInput } from './part.ts';
import { boundedRegex } from '../util/bounded-regex.ts';

/** Everything one target's overhead measurement needs. */
interface OverheadInput extends BenchPartInput {
  readonly target: Target;
  readonly image: BootFiles;
  readonly imageBytes: number;
  readonly cases: readonly CaseDef[];
  readonly work: GuestWork;
  readonly accel: AccelChoice;
}

/** The goal of part 1: the harness takes at most 2 % longer than the bare driver. */
export const overheadGoal = 1.02;

/** The goal of part 2: the harness's case phase takes at most 1.3 times the bare driver's minimal evidence script. */
export const casePhaseGoal = 1.3;

/** The goals of part 3: a full run of the reference image (boot, every case, QEMU gone) within this many ms, per target. */
export const fullVerdictGoalMs: Readonly<Record<string, number>> = { x86_64: 20_000, arm64: 50_000, s390x: 35_000, ppc64le: 50_000, riscv64: 50_000 };

/** CPU time this Node process used since `before` (user + system, ms): the driver's own work, QEMU not included. */
function cpuSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return Math.round((used.user + used.system) / 1000);
}

async function harnessOnce(input: OverheadInput, i: number): Promise<{ wallMs: number; cpuMs: number; frames: number; kernelStartMs?: number; report: RunReport }> {
  const { target, image } = input;
  const artifactsDir = join(input.tmpDir, `${target.name}-harness-${i + 1}`);
  rmSync(artifactsDir, { recursive: true, force: true });
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await runTarget({
    target,
    image,
    imageInfo: { path: image.prefix, format: image.format, sha256: {}, sizeBytes: input.imageBytes },
    cases: input.cases,
    accel: input.accel,
    artifactsDir,
    signal: input.signal,
  });
  const wallMs = Math.round(performance.now() - started);
  const cpuMs = cpuSince(cpu);
  let frames = 0;
  let kernelStartMs: number | undefined;
  try {
    const log = readFileSync(join(artifactsDir, 'console.log'), 'utf8');
    frames = countFrames(log);
    kernelStartMs = kernelStartOnHost(log);
  } catch {
    // No log: frames stay 0 and the sample shows up as odd.
  }
  return { wallMs, cpuMs, frames, kernelStartMs, report };
}

async function bareOnce(input: OverheadInput): Promise<{ wallMs: number; cpuMs: number; shellReadyMs: number; evidenceMs?: number; stepsMs: Record<string, number>; description: string }> {
  const { target, work } = input;
  if (target.console.login) throw new Error(`target ${target.name} logs in on its console; the bare driver does not`);
  let description = '';
  // Fresh batch tags per run, as the harness draws them.
  const steps = guestSteps(work);
  const typeAfter = target.console.typeAfter;
  const plan: BarePlan = {
    typeAfter: typeAfter && { pattern: boundedRegex(typeAfter.pattern), orAfterMs: typeAfter.orAfterMs },
    probeEveryMs: consoleDefaults.probeEveryMs,
    maxLineBytes: consoleDefaults.maxLineBytes,
    context: work.context,
    chooseWay: (output) => {
      const context = decideSystemContext(output);
      description = context.description;
      return context;
    },
    steps,
    deadlineMs: target.timeouts.bootMs + (steps.length + 1) * target.timeouts.commandMs + steps.reduce((s, step) => s + (step.afterMs ?? 0), 0),
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const runDir = makeRunDir(`bench-${target.name}`);
  try {
    const argv = buildArgv(target, input.image, { accel: input.accel.accel, mac: randomMac(), runDir });
    prepareFirmware(target, input.image, runDir);
    const times = await runBare(argv, plan, input.signal);
    const evidenceMs = bareEvidenceMs(times.marks, work.polls.at(-1)?.label);
    const stepsMs = stepDurations(times.marks, ['host-context', ...steps.map((s) => s.label)]);
    return { wallMs: Math.round(performance.now() - started), cpuMs: cpuSince(cpu), shellReadyMs: Math.round(times.marks['shell-ready'] ?? Number.NaN), evidenceMs: evidenceMs === undefined ? undefined : Math.round(evidenceMs), stepsMs, description };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** N interleaved pairs (a b, b a, a b, ...): the harness and the bare driver on the same target and image. */
export async function measureOverhead(input: OverheadInput): Promise<{ overhead: OverheadResult; boot: BootResult }> {
  const { target, runs } = input;
  const harness = { wallMs: [] as number[], cpuMs: [] as number[], shellReadyMs: [] as number[], casePhaseMs: [] as number[], frames: [] as number[], statuses: [] as string[] };
  const bare = { wallMs: [] as number[], cpuMs: [] as number[], shellReadyMs: [] as number[], evidenceMs: [] as number[], stepsMs: [] as Record<string, number>[], errors: [] as string[] };
  const reports: { report: RunReport; kernelStartMs?: number }[] = [];
  const descriptions = new Set<string>();
  const viaSeen = new Set<string>();
  // Wall times of the pairs where both sides ran through (harness passed, bare driver finished), harness first.
  const pairs: [number, number][] = [];
  for (let i = 0; i < runs && !input.signal?.aborted; i++) {
    const order = i % 2 === 0 ? (['harness', 'bare'] as const) : (['bare', 'harness'] as const);
    const pair: { harness?: number; bare?: number } = {};
    for (const kind of order) {
      if (input.signal?.aborted) break;
      const label = `overhead ${target.name} ${kind} ${i + 1}/${runs}`;
      if (kind === 'harness') {
        const { wallMs, cpuMs, frames, kernelStartMs, report } = await input.sample(label, () => harnessOnce(input, i));
        reports.push({ report, kernelStartMs });
        harness.statuses.push(report.status);
        harness.frames.push(frames);
        if (report.message) viaSeen.add(report.message);
        if (report.status === 'passed') {
          pair.harness = wallMs;
          harness.wallMs.push(wallMs);
          harness.cpuMs.push(cpuMs);
          if (report.timeline['shell-ready'] !== undefined) harness.shellReadyMs.push(report.timeline['shell-ready']);
          const phase = casePhaseMs(report.timeline);
          if (phase !== undefined) harness.casePhaseMs.push(phase);
        }
        const phase = casePhaseMs(report.timeline);
        input.progress(`${label}: ${(wallMs / 1000).toFixed(1)} s (cases ${phase === undefined ? '-' : (phase / 1000).toFixed(1)} s), ${report.status}, ${frames} frames, ${cpuMs} ms CPU`);
      } else {
        try {
          const r = await input.sample(label, () => bareOnce(input));
          pair.bare = r.wallMs;
          bare.wallMs.push(r.wallMs);
          bare.cpuMs.push(r.cpuMs);
          if (Number.isFinite(r.shellReadyMs)) bare.shellReadyMs.push(r.shellReadyMs);
          if (r.evidenceMs !== undefined) bare.evidenceMs.push(r.evidenceMs);
          bare.stepsMs.push(r.stepsMs);
          descriptions.add(r.description);
          input.progress(`${label}: ${(r.wallMs / 1000).toFixed(1)} s (evidence ${r.evidenceMs === undefined ? '-' : (r.evidenceMs / 1000).toFixed(1)} s), ${r.cpuMs} ms CPU`);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          bare.errors.push(message);
          input.progress(`${label}: error: ${message}`);
        }
      }
    }
    if (pair.harness !== undefined && pair.bare !== undefined) pairs.push([pair.harness, pair.bare]);
  }
  const harnessWall = spread(harness.wallMs);
  const bareWall = spread(bare.wallMs);
  const cases = spread(harness.casePhaseMs);
  const evidence = spread(bare.evidenceMs);
  const verdictLimit = fullVerdictGoalMs[target.name];
  const paired = pairedRatio(pairs);
  const overhead: OverheadResult = {
    target: target.name,
    harness: { ...harness, wall: harnessWall },
    // The context script, every poll and the host facts: one frame each.
    bare: { ...bare, frames: 1 + input.work.polls.length, wall: bareWall },
    ratio: goal(ratio(harnessWall?.median, bareWall?.median), 'max', overheadGoal),
    pairs,
    ...(paired ? { paired } : {}),
    casePhase: { harness: cases, bare: evidence },
    casePhaseRatio: goal(ratio(cases?.median, evidence?.median), 'max', casePhaseGoal),
    ...(verdictLimit === undefined ? {} : { verdictGoal: goal(harnessWall?.median, 'max', verdictLimit) }),
    toShellMs: { harness: spread(harness.shellReadyMs)?.median, bare: spread(bare.shellReadyMs)?.median },
    sameVia: descriptions.size === 1 && viaSeen.size === 1 && [...descriptions][0] === [...viaSeen][0],
  };
  return { overhead, boot: bootOf(target.name, reports, input.imageBytes, input.image.format) };
}

/** Part 6 from the harness reports that passed: median boot stages, timeline and memory, image size. */
function bootOf(target: string, runs: readonly { report: RunReport; kernelStartMs?: number }[], imageBytes: number, imageFormat: string): BootResult {
  const ok = runs.filter((r) => r.report.status === 'passed');
  const passed = ok.map((r) => r.report);
  const used = passed.map((r) => r.memory?.usedKiB).filter((v): v is number => v !== undefined);
  return {
    target,
    timelineMs: medianByKey(passed.map((r) => r.timeline)),
    stagesMs: medianByKey(ok.map((r) => bootStageDurations(r.report.timeline, r.kernelStartMs))),
    memory: { usedKiB: used.length ? median(used) : undefined, rssKiB: medianByKey(passed.map((r) => r.memory?.rssKiB ?? {})) },
    imageBytes,
    imageFormat,
  };
}
