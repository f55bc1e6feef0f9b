// kittest run: resolve targets, cases and images, run the matrix, write the reports.
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAllCases } from '../config/case-folders.ts';
import { type CaseDef, selectCases } from '../config/cases.ts';
import { loadLinuxkitFile, withLinuxkitFile } from '../config/linuxkit-file.ts';
import { loadProfile, profileCases } from '../config/profiles.ts';
import { qemuVersion } from '../qemu/version.ts';
import { buildStatement } from '../report/statement.ts';
import { loadAllTargets, selectTargets, type Target } from '../config/targets.ts';
import { ExitCode, HostError, UsageError } from '../errors.ts';
import { describeBootFiles, type BootFiles } from '../images/boot-files.ts';
import { checkBootFiles } from '../images/check-medium.ts';
import { planImages } from '../images/plan.ts';
import { isInfrastructureFault, type RunRequest, runTarget } from '../matrix/run-target.ts';
import { attachTerminal } from '../boot/terminal.ts';
import { nonEmptyShard, parseShard, runBounded } from '../matrix/schedule.ts';
import { withInfraRetries } from '../matrix/with-retries.ts';
import { detectAccel } from '../qemu/accel.ts';
import { caseLine, summaryLines } from '../report/human.ts';
import { type CaseReport, type Report, type RunReport, summarize } from '../report/model.ts';
import { writeReports } from '../report/write.ts';
import { annotationsFor } from '../report/github.ts';
import { colorFor } from '../util/color.ts';
import { safeForTerminal } from '../util/terminal-safe.ts';
import { LiveStatus } from '../report/live.ts';
import { requireFreeSpace } from '../util/disk-space.ts';
import { exitCodeFor, stopOnInterrupt } from '../util/signals.ts';
import { sha256File } from '../util/sha256.ts';
import { existsSync, statSync } from 'node:fs';
import { findOnPath } from '../qemu/find-binary.ts';
import { requirePrintablePath, requireReportFiles, requireWritableFolder } from '../util/path-options.ts';
import { version } from '../version.ts';

export interface RunOptions {
  arch?: string;
  image?: string;
  case?: string;
  json?: string;
  junit?: string;
  html?: string;
  summary?: string;
  artifacts?: string;
  jobs?: string;
  shard?: string;
  retries?: string;
  accel?: string;
  format?: string;
  /** Vendor case folders, added to the built-ins. */
  cases?: string[];
  targets?: string[];
  /** A profile name (profiles/NAME.yml) or a profile file's path. */
  profile?: string;
  /** Hand the first failed run's machine to the person at the terminal before stopping it. */
  'keep-failed'?: boolean;
  /** The linuxkit.yml that built the image: services-declared checks its list of declarations. */
  linuxkit?: string;
}

const list = (text: string | undefined) => text?.split(',').map((s) => s.trim()).filter(Boolean);

function positiveInt(flag: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`--${flag} must be an integer >= ${min}, got "${text}"`);
  return Number(text);
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
    status: 'interrupted',
    attempts: 0,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    message: 'interrupted before it started',
    qemu: { argv: [] },
    timeline: {},
    cases: cases.map((c) => ({ id: c.id, title: c.title, status: 'interrupted', durationMs: 0, message: 'interrupted before the run started', evidence: '' })),
  };
}

/** Guest text for the terminal: escaped, each line indented under the kittest line it belongs to. */
const indented = (text: string) => safeForTerminal(text.replace(/\r/g, '')).replace(/^/gm, '    ');

/**
 * --keep-failed: the first run with a failed case whose guest is alive is handed to the person at
 * the terminal, its failed cases' messages and evidence printed above its console; every later
 * failed run stops as usual. Other runs (--jobs) go on meanwhile, their lines held until Ctrl-].
 * A failed case is never retried (only infrastructure faults are), so a kept machine is never one
 * a retry replaces.
 */
function keepFirstFailed(live: LiveStatus, signal: AbortSignal): NonNullable<RunRequest['keepFailed']> {
  let taken = false;
  return async (session, failed: readonly CaseReport[]) => {
    if (taken) return false;
    taken = true;
    const out = process.stderr;
    const name = session.target.name;
    live.hold();
    try {
      for (const c of failed) {
        out.write(`\nkittest: ${name}: case ${c.id} failed: ${safeForTerminal(c.message)}\n`);
        if (c.evidence.trim()) out.write(`  evidence:\n${indented(c.evidence.trimEnd())}\n`);
      }
      out.write(`\nkittest: ${name} is kept running (--keep-failed); this is its console (${session.target.console.device}). Ctrl-] leaves and powers it off, then the reports are written\n`);
      // A newline brings the shell's prompt back: the last one was printed for kittest's own commands.
      const { how } = await attachTerminal(session, { signal, type: '\n' });
      out.write(`\nkittest: ${how === 'powered-off' ? `${name}'s guest powered off` : `left the console, powering ${name} off`}\n`);
    } catch (error) {
      out.write(`kittest: ${name}: the console could not be attached (${safeForTerminal((error as Error).message)}); powering it off\n`);
    } finally {
      live.resume();
    }
    return true;
  };
}

/** The run command; resolves with the exit code. */
export async function runCommand(values: Record<string, unknown>): Promise<number> {
  const options = values as RunOptions;
  // The console of a failed machine needs a person at a terminal: refused at once, before anything is built or booted.
  if (options['keep-failed'] && !(process.stdin.isTTY && process.stdout.isTTY)) {
    throw new UsageError('--keep-failed needs a terminal (stdin and stdout a TTY) to hand the failed machine\'s console to; run it from one, or drop the option');
  }
  if (options.image !== undefined) requirePrintablePath('--image', options.image);
  requirePrintablePath('TMPDIR', tmpdir());
  // Reports and artifacts are written after machines have booted: a path that cannot take them is refused now.
  requireReportFiles(options);
  if (options.artifacts !== undefined) requireWritableFolder('--artifacts', options.artifacts);
  const allTargets = loadAllTargets(options.targets);
  const archNames = list(options.arch);
  const targets = selectTargets(allTargets, archNames);
  const allCases = loadAllCases(options.cases);
  if (options.profile !== undefined && options.case !== undefined) throw new UsageError('--profile and --case cannot be combined: a profile runs exactly its cases');
  const profile = options.profile === undefined ? undefined : loadProfile(options.profile, allCases);
  const selected = profile ? profileCases(profile, allCases) : selectCases(allCases, list(options.case));
  const cases = options.linuxkit === undefined ? selected : withLinuxkitFile(selected, loadLinuxkitFile(options.linuxkit));
  const jobs = positiveInt('jobs', options.jobs, cpus().length);
  const retries = positiveInt('retries', options.retries, 1, 0);
  const accelWanted = options.accel ?? 'auto';
  if (!['auto', 'kvm', 'tcg'].includes(accelWanted)) throw new UsageError(`--accel must be auto, kvm or tcg, got "${accelWanted}"`);
  const shard = options.shard ? parseShard(options.shard) : undefined;
  const archGiven = Boolean(archNames?.length);
  // Reference images are built per target, so those targets are sharded before planning; a given
  // image picks its target from its kernel, so its plans are sharded once made (that is cheap).
  const plans = options.image
    ? nonEmptyShard(await planImages(targets, allTargets, options, archGiven), shard, (p) => p.target.name)
    : await planImages(nonEmptyShard(targets, shard, (t) => t.name), allTargets, options, archGiven);
  if (plans.length === 0) throw new UsageError('nothing to run: no target is selected (no default target in targets/; pass --arch)');
  // Console logs are capped at 16 MiB per run; QEMU's private folders live in the temp dir.
  if (options.artifacts) requireFreeSpace(resolve(options.artifacts), plans.length * 17 * 1048576, 'the artifacts');
  requireFreeSpace(tmpdir(), 8 * 1048576, "QEMU's run folders");
  const color = colorFor(process.stdout);
  // Images are ready: from here on a Ctrl-C stops every machine and still writes the reports.
  const interrupt = stopOnInterrupt('stopping every machine');

  // QEMU and firmware must be there before anything starts.
  for (const { target, image } of plans) {
    if (!findOnPath(target.qemu.binary)) {
      throw new HostError(`${target.qemu.binary} not found (target ${target.name}): install the Debian package ${target.qemu.package}`);
    }
    if (target.qemu.firmware && !image.bootMedium && !existsSync(target.qemu.firmware)) {
      throw new HostError(`firmware ${target.qemu.firmware} not found (target ${target.name}): install the Debian package ${target.qemu.firmwarePackage ?? 'that provides it'}`);
    }
  }
  for (const { target, image } of plans) {
    const efi = image.firmware === 'efi' ? target.efi : undefined;
    for (const file of efi ? [efi.code, efi.vars] : []) {
      if (!existsSync(file)) throw new HostError(`UEFI firmware ${file} not found (target ${target.name}, ${image.format}): install the Debian package ${efi!.package}`);
    }
  }
  // A profile's runs carry a conformance statement: the case files (hashed before any machine
  // starts, so what is recorded is what judged), kittest and QEMU they rest on.
  let statement: Report['statement'];
  if (profile) {
    const byBinary = new Map<string, Promise<string>>();
    const qemu: Record<string, string> = {};
    for (const { target } of plans) {
      if (!byBinary.has(target.qemu.binary)) byBinary.set(target.qemu.binary, qemuVersion(target.qemu.binary));
      qemu[target.name] = await byBinary.get(target.qemu.binary)!;
    }
    statement = await buildStatement(profile, cases, qemu);
  }
  // Every image is checked and hashed before any machine starts: bad input stops the whole run.
  const infos = new Map<BootFiles, RunReport['image']>();
  for (const { image, kernelArch } of plans) if (!infos.has(image)) infos.set(image, await imageInfo(image, kernelArch));

  const live = new LiveStatus(process.stdout, color);
  const keepFailed = options['keep-failed'] ? keepFirstFailed(live, interrupt.signal) : undefined;
  const runs = await runBounded(plans, jobs, async ({ target, image }) => {
    const info = infos.get(image)!;
    if (interrupt.signal.aborted) return interruptedRun(target, info, cases);
    const accel = await detectAccel(target, accelWanted as 'auto');
    const unsafe = target.qemu.unsafe ? ` [unsafe QEMU settings: ${safeForTerminal(target.qemu.unsafe.reason)}]` : '';
    live.line(`${color.dim('start')} ${target.name.padEnd(8)} ${describeBootFiles(image)} ${safeForTerminal(image.prefix)} [${accel.reason}]${unsafe}`);
    live.update(target.name, 'booting');
    const run = await withInfraRetries(
      (attempt) =>
        runTarget({
          target,
          image,
          imageInfo: info,
          cases,
          accel,
          signal: interrupt.signal,
          keepFailed,
          artifactsDir: options.artifacts ? join(resolve(options.artifacts), target.name, `attempt-${attempt}`) : undefined,
          onCase: (c) => {
            if (c.status !== 'skipped' || c.message !== 'not run') live.line(caseLine(color, target.name, c));
            const next = cases[cases.findIndex((k) => k.id === c.id) + 1];
            live.update(target.name, next ? `case ${next.id}` : 'stopping');
          },
        }).then((report) => {
          if (options.artifacts) report.artifacts = join(resolve(options.artifacts), target.name, `attempt-${attempt}`);
          return report;
        }),
      (report) => !interrupt.signal.aborted && isInfrastructureFault(report),
      retries,
    );
    live.update(target.name, 'done');
    // The image must come out exactly as it went in.
    for (const [file, before] of Object.entries(info.sha256)) {
      const after = await sha256File(file).catch((error: NodeJS.ErrnoException) => `unreadable (${error.code ?? error.message})`);
      if (after !== before) {
        run.status = 'error';
        run.message = `${file} changed during the run (sha256 ${before} -> ${after})`;
      }
    }
    return run;
  });
  live.stop();
  interrupt.release();

  if (statement) for (const run of runs) run.qemu.version ??= statement.qemu[run.target];
  const report: Report = { tool: { name: 'kittest', version }, ...(statement ? { statement } : {}), runs, summary: summarize(runs) };
  // A disk that filled up during the runs ends them with errors; the reports are still written where they can be.
  const hostErrors = [...new Set(runs.flatMap((r) => (r.hostError ? [r.hostError] : [])))];
  try {
    writeReports(report, { json: options.json, junit: options.junit, html: options.html, summary: options.summary });
  } catch (error) {
    hostErrors.push((error as Error).message);
  }
  for (const line of summaryLines(color, report)) process.stdout.write(`${line}\n`);
  for (const line of annotationsFor(report, process.env)) process.stdout.write(`${line}\n`);
  for (const line of hostErrors) process.stderr.write(`kittest: ${safeForTerminal(line)}\n`);
  for (const run of runs) if (run.wireCapped) process.stderr.write(`kittest: note: ${run.target}: ${safeForTerminal(run.wireCapped)}\n`);
  if (interrupt.signal.aborted) return exitCodeFor(interrupt.signal.reason);
  // Nothing could start (every run failed writing its files before QEMU ran): the host's problem, as bad input is.
  if (runs.every((r) => r.hostError && r.qemu.exit === undefined)) return ExitCode.usage;
  return hostErrors.length === 0 && runs.every((r) => r.status === 'passed' || r.status === 'flaky') ? ExitCode.ok : ExitCode.failed;
}
