// kittest bench: harness overhead and case phase against a bare driver, full verdict times, a failing
// image's verdict against a good one's, time to a panic verdict, the boot by stage, and the matrix,
// measured side by side in one run; printed as tables and saved as JSON under bench/results/.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { measureFailing } from '../bench/failing-verdict.ts';
import { requireHostCanRun } from '../boot/prepare.ts';
import { guestWork } from '../bench/guest-work.ts';
import { fileSafe, foreignQemu, hostInfo, load1 } from '../bench/host-info.ts';
import { qemuVersion } from '../qemu/version.ts';
import { measureMatrix } from '../bench/matrix-speedup.ts';
import { measureOverhead } from '../bench/overhead.ts';
import { measurePanic } from '../bench/panic-latency.ts';
import { BenchInterrupted, sampleGate } from '../bench/quiet-host.ts';
import { renderResult } from '../bench/render.ts';
import type { BenchResult, BootResult, OverheadResult } from '../bench/result.ts';
import { resultFileName } from '../bench/result.ts';
import { pairedRatio } from '../bench/stats.ts';
import { loadAllCases } from '../cases/case-folders.ts';
import { notApplicable } from '../cases/case-files.ts';
import { imagesDir, projectRoot } from '../config/paths.ts';
import { loadTargets, selectTargets, type Target } from '../config/targets.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { detectBootFiles, type BootFiles } from '../images/boot-files.ts';
import { detectAccel, type AccelChoice } from '../qemu/accel.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { requireWritableFile } from '../util/path-options.ts';
import { exitCodeFor, stopOnInterrupt } from '../util/signals.ts';
import { safeForTerminal } from '../util/terminal-safe.ts';
import { version } from '../config/version.ts';
import { ensureImage } from '../images/builder.ts';

interface BenchOptions {
  runs?: string;
  arch?: string;
  out?: string;
  /** Vendor case folders, added to the built-ins. */
  cases?: string[];
}

/** Folder of saved results (commit-worthy) and of scratch artifacts (git-ignored). */
const benchDir = join(projectRoot, 'bench');

function runsOf(text: string | undefined): number {
  if (text === undefined) return 3;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--runs must be an integer >= 1, got "${text}"`);
  return Number(text);
}

async function imageOf(definition: string, target: string): Promise<{ image: BootFiles; bytes: number }> {
  const built = await ensureImage(definition, target, (line) => process.stderr.write(`  ${target}: ${line}\n`));
  const image = detectBootFiles(built.prefix);
  return { image, bytes: image.files.reduce((n, f) => n + statSync(f).size, 0) };
}

/** The bench command; resolves with the exit code (0 when every part produced its numbers, whether or not the goals were met). */
export async function benchCommand(values: Record<string, unknown>): Promise<number> {
  const options = values as BenchOptions;
  // The results are written after up to an hour of runs: a path that cannot take them is refused now.
  if (options.out !== undefined) requireWritableFile('--out', options.out);
  const runs = runsOf(options.runs);
  const archNames = options.arch?.split(',').map((s) => s.trim()).filter(Boolean);
  const all = loadTargets();
  // Every target file, default matrix or not, unless --arch names some.
  const targets = selectTargets(all, archNames?.length ? archNames : ['all']);
  // The panic and the failing image run on x86_64, the fastest target, whatever --arch says.
  const panicTarget = selectTargets(all, ['x86_64'])[0] as Target;
  const cases = loadAllCases(options.cases);
  requireHostCanRun([...new Set([...targets, panicTarget])].map((target) => ({ target })));

  const began = performance.now();
  const stamp = new Date();
  const tmpDir = join(benchDir, 'tmp', stamp.toISOString().replace(/[:.]/g, '-'));
  const progress = (line: string) => {
    const s = Math.round((performance.now() - began) / 1000);
    process.stderr.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${safeForTerminal(line)}\n`);
  };
  const host = hostInfo();
  const foreignAtStart = foreignQemu();
  const loadAtStart = load1();
  // Images first: a Ctrl-C during their build exits at once, leaving no half-built image.
  const images = new Map<string, { image: BootFiles; bytes: number }>();
  for (const target of targets) images.set(target.name, await imageOf(join(imagesDir, 'reference.yml'), target.name));
  const panicImage = await imageOf(join(imagesDir, 'broken', 'no-init.yml'), panicTarget.name);
  const goodImage = images.get(panicTarget.name) ?? (await imageOf(join(imagesDir, 'reference.yml'), panicTarget.name));
  const failingImage = await imageOf(join(imagesDir, 'broken', 'no-containerd.yml'), panicTarget.name);
  const linuxkitImage = await imageOf(join(imagesDir, 'linuxkit.yml'), panicTarget.name);
  const linuxkitNoRngd = await imageOf(join(imagesDir, 'broken', 'linuxkit-no-rngd.yml'), panicTarget.name);
  const interrupt = stopOnInterrupt('stopping the bench');
  const signal = interrupt.signal;

  try {
    const accel: Record<string, AccelChoice> = {};
    for (const target of new Set([...targets, panicTarget])) accel[target.name] = await detectAccel(target);
    const qemu: Record<string, string> = {};
    for (const target of new Set([...targets, panicTarget])) qemu[target.qemu.binary] ??= await qemuVersion(target.qemu.binary);
    const { sample, disturbed, notes } = sampleGate({ progress, signal });
    progress(`bench: ${targets.map((t) => t.name).join(', ')}; ${runs} run(s) of each; scratch files in ${tmpDir}`);
    const part = { runs, tmpDir, signal, progress, sample };

    const panic = await measurePanic({ target: panicTarget, image: panicImage.image, imageBytes: panicImage.bytes, cases, accel: accel[panicTarget.name] as AccelChoice, ...part });
    const failing = signal.aborted
      ? undefined
      : await measureFailing({ target: panicTarget, good: goodImage, failing: failingImage, failingCase: 'containerd', cases, accel: accel[panicTarget.name] as AccelChoice, ...part });
    // A LinuxKit-shaped image without its RNG service: the declared services end the settle window,
    // so its verdict may come at most 5 s after the good image's.
    const failingLinuxkit = signal.aborted
      ? undefined
      : await measureFailing({ target: panicTarget, good: linuxkitImage, failing: linuxkitNoRngd, failingCase: 'rng', allowanceMs: 5000, cases, accel: accel[panicTarget.name] as AccelChoice, ...part });
    const overhead: OverheadResult[] = [];
    const boot: BootResult[] = [];
    for (const target of targets) {
      if (signal.aborted) break;
      const { image, bytes } = images.get(target.name) as { image: BootFiles; bytes: number };
      // What the harness types on this target: the cases that apply to it and its image's format.
      const work = await guestWork(cases.filter((c) => !notApplicable(c, target.name, image.format)));
      const r = await measureOverhead({ target, image, imageBytes: bytes, cases, work, accel: accel[target.name] as AccelChoice, ...part });
      overhead.push(r.overhead);
      boot.push(r.boot);
    }
    const matrix = signal.aborted
      ? undefined
      : await measureMatrix({ targets: targets.map((t) => t.name), arch: targets.map((t) => t.name).join(','), ...part });

    const pooled = pairedRatio(overhead.flatMap((o) => o.pairs));
    const result: BenchResult = {
      schema: 2,
      date: stamp.toISOString(),
      kittest: version,
      runs,
      host: { ...host, loadAtStart, loadAtEnd: load1(), foreignQemuAtStart: foreignAtStart },
      qemu,
      accel: Object.fromEntries(Object.entries(accel).map(([name, a]) => [name, { accel: a.accel, reason: a.reason }])),
      durationMs: Math.round(performance.now() - began),
      disturbed,
      samples: notes,
      overhead,
      ...(pooled ? { pooledOverhead: pooled } : {}),
      matrix,
      panic,
      failing,
      failingLinuxkit,
      boot,
    };
    process.stdout.write(`${renderResult(result).join('\n')}\n`);
    if (signal.aborted) return exitCodeFor(signal.reason);
    const text = `${JSON.stringify(result, null, 2)}\n`;
    const files = options.out ? [resolve(options.out)] : [join(benchDir, 'results', resultFileName(stamp, fileSafe(host.name))), join(benchDir, 'results', 'latest.json')];
    for (const file of files) writeFileAtomic(file, text);
    process.stdout.write(`\nsaved ${files.join(' and ')}\n`);
    const complete =
      overhead.every((o) => o.ratio.value !== undefined && o.casePhaseRatio.value !== undefined) &&
      matrix?.speedup.value !== undefined &&
      panic.latency !== undefined &&
      failing?.differenceMs !== undefined &&
      failingLinuxkit?.differenceMs !== undefined;
    return complete ? ExitCode.ok : ExitCode.failed;
  } catch (error) {
    if (!(error instanceof BenchInterrupted)) throw error;
    process.stderr.write('kittest: bench interrupted, nothing saved\n');
    return exitCodeFor(signal.reason);
  } finally {
    interrupt.release();
  }
}
