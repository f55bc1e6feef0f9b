// Part 1 and 4 of the bench: a full harness run against the bare driver on one target, interleaved,
// and the boot timeline, memory and image size read from the harness runs.
import { prepareFirmware } from '../qemu/firmware.ts';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decideHostContext } from '../cases/host-context.ts';
import type { CaseDef } from '../config/cases.ts';
import type { Target } from '../config/targets.ts';
import { consoleDefaults } from '../console/defaults.ts';
import type { BootFiles } from '../images/boot-files.ts';
import { runTarget } from '../matrix/run-target.ts';
import type { AccelChoice } from '../qemu/accel.ts';
import { buildArgv } from '../qemu/argv.ts';
import { makeRunDir } from '../qemu/machine.ts';
import type { RunReport } from '../report/model.ts';
import { runBare, type BarePlan } from './bare-driver.ts';
import { countFrames } from './console-log.ts';
import type { GuestWork } from './guest-work.ts';
import { goal, type BootResult, type OverheadResult } from './result.ts';
import { median, medianByKey, ratio, spread } from './stats.ts';

/** Everything one target's overhead measurement needs. */
export interface OverheadInput {
  readonly target: Target;
  readonly image: BootFiles;
  readonly imageBytes: number;
  readonly cases: readonly CaseDef[];
  readonly work: GuestWork;
  readonly accel: AccelChoice;
  readonly runs: number;
  /** Scratch folder for the harness runs' artifacts. */
  readonly tmpDir: string;
  readonly signal?: AbortSignal;
  readonly progress: (line: string) => void;
  /** Wraps every sample (waits for a quiet host, notes disturbances). */
  readonly sample: <T>(label: string, run: () => Promise<T>) => Promise<T>;
}

const randomMac = () => `52:54:00:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

/** The goal of part 1: the harness takes at most 5 % longer than the bare driver. */
export const overheadGoal = 1.05;

/** CPU time this Node process used since `before` (user + system, ms): the driver's own work, QEMU not included. */
function cpuSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return Math.round((used.user + used.system) / 1000);
}

async function harnessOnce(input: OverheadInput, i: number): Promise<{ wallMs: number; cpuMs: number; frames: number; report: RunReport }> {
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
  try {
    frames = countFrames(readFileSync(join(artifactsDir, 'console.log'), 'utf8'));
  } catch {
    // No log: frames stay 0 and the sample shows up as odd.
  }
  return { wallMs, cpuMs, frames, report };
}

async function bareOnce(input: OverheadInput): Promise<{ wallMs: number; cpuMs: number; shellReadyMs: number; description: string }> {
  const { target, work } = input;
  if (target.console.login) throw new Error(`target ${target.name} logs in on its console; the bare driver does not`);
  let description = '';
  const typeAfter = target.console.typeAfter;
  const plan: BarePlan = {
    typeAfter: typeAfter && { pattern: new RegExp(typeAfter.pattern), orAfterMs: typeAfter.orAfterMs },
    probeEveryMs: consoleDefaults.probeEveryMs,
    maxLineBytes: consoleDefaults.maxLineBytes,
    context: work.context,
    chooseVia: (output) => {
      const context = decideHostContext(output);
      description = context.description;
      return context.via;
    },
    steps: work.steps,
    deadlineMs: target.timeouts.bootMs + (work.steps.length + 1) * target.timeouts.commandMs,
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const runDir = makeRunDir(`bench-${target.name}`);
  try {
    const argv = buildArgv(target, input.image, { accel: input.accel.accel, mac: randomMac(), runDir });
    prepareFirmware(target, input.image, runDir);
    const times = await runBare(argv, plan, input.signal);
    return { wallMs: Math.round(performance.now() - started), cpuMs: cpuSince(cpu), shellReadyMs: Math.round(times.marks['shell-ready'] ?? Number.NaN), description };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** N interleaved pairs (a b, b a, a b, ...): the harness and the bare driver on the same target and image. */
export async function measureOverhead(input: OverheadInput): Promise<{ overhead: OverheadResult; boot: BootResult }> {
  const { target, runs } = input;
  const harness = { wallMs: [] as number[], cpuMs: [] as number[], shellReadyMs: [] as number[], frames: [] as number[], statuses: [] as string[] };
  const bare = { wallMs: [] as number[], cpuMs: [] as number[], shellReadyMs: [] as number[], errors: [] as string[] };
  const reports: RunReport[] = [];
  const descriptions = new Set<string>();
  const viaSeen = new Set<string>();
  for (let i = 0; i < runs && !input.signal?.aborted; i++) {
    const order = i % 2 === 0 ? (['harness', 'bare'] as const) : (['bare', 'harness'] as const);
    for (const kind of order) {
      if (input.signal?.aborted) break;
      const label = `overhead ${target.name} ${kind} ${i + 1}/${runs}`;
      if (kind === 'harness') {
        const { wallMs, cpuMs, frames, report } = await input.sample(label, () => harnessOnce(input, i));
        reports.push(report);
        harness.statuses.push(report.status);
        harness.frames.push(frames);
        if (report.message) viaSeen.add(report.message);
        if (report.status === 'passed') {
          harness.wallMs.push(wallMs);
          harness.cpuMs.push(cpuMs);
          if (report.timeline['shell-ready'] !== undefined) harness.shellReadyMs.push(report.timeline['shell-ready']);
        }
        input.progress(`${label}: ${(wallMs / 1000).toFixed(1)} s, ${report.status}, ${frames} frames, ${cpuMs} ms CPU`);
      } else {
        try {
          const r = await input.sample(label, () => bareOnce(input));
          bare.wallMs.push(r.wallMs);
          bare.cpuMs.push(r.cpuMs);
          if (Number.isFinite(r.shellReadyMs)) bare.shellReadyMs.push(r.shellReadyMs);
          descriptions.add(r.description);
          input.progress(`${label}: ${(r.wallMs / 1000).toFixed(1)} s, ${r.cpuMs} ms CPU`);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          bare.errors.push(message);
          input.progress(`${label}: error: ${message}`);
        }
      }
    }
  }
  const harnessWall = spread(harness.wallMs);
  const bareWall = spread(bare.wallMs);
  const overhead: OverheadResult = {
    target: target.name,
    harness: { ...harness, wall: harnessWall },
    bare: { ...bare, frames: 1 + input.work.steps.length, wall: bareWall },
    ratio: goal(ratio(harnessWall?.median, bareWall?.median), 'max', overheadGoal),
    toShellMs: { harness: spread(harness.shellReadyMs)?.median, bare: spread(bare.shellReadyMs)?.median },
    sameVia: descriptions.size === 1 && viaSeen.size === 1 && [...descriptions][0] === [...viaSeen][0],
  };
  return { overhead, boot: bootOf(target.name, reports, input.imageBytes, input.image.format) };
}

/** Part 4 from the harness reports that passed: median timeline, median memory, image size. */
export function bootOf(target: string, reports: readonly RunReport[], imageBytes: number, imageFormat: string): BootResult {
  const passed = reports.filter((r) => r.status === 'passed');
  const used = passed.map((r) => r.memory?.usedKiB).filter((v): v is number => v !== undefined);
  return {
    target,
    timelineMs: medianByKey(passed.map((r) => r.timeline)),
    memory: { usedKiB: used.length ? median(used) : undefined, rssKiB: medianByKey(passed.map((r) => r.memory?.rssKiB ?? {})) },
    imageBytes,
    imageFormat,
  };
}
