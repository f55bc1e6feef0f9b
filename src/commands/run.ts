// kittest run: resolve targets, cases and images, run the matrix, write the reports.
import { cpus, tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { requireAccel, requireHostCanRun } from '../boot/prepare.ts';
import { attachTerminal } from '../boot/terminal.ts';
import { loadAllCases } from '../cases/case-folders.ts';
import { type CaseDef, selectCases } from '../cases/case-files.ts';
import { loadLinuxkitFile, withLinuxkitFile } from '../cases/linuxkit-file.ts';
import { loadProfile, type Profile, profileCases } from '../cases/profiles.ts';
import { loadAllTargets, selectTargets } from '../config/targets.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { describeBootFiles } from '../images/boot-files.ts';
import { type ImagePlan, planImages } from '../images/plan.ts';
import type { KeepFailed } from '../matrix/phases/keep-failed.ts';
import { checkedImages, type MatrixProgress, runMatrix } from '../matrix/run-matrix.ts';
import { nonEmptyShard, parseShard } from '../matrix/schedule.ts';
import { qemuVersion } from '../qemu/version.ts';
import { annotationsFor } from '../report/github.ts';
import { caseLine, summaryLines } from '../report/human.ts';
import { LiveStatus } from '../report/live.ts';
import { type CaseReport, type Report, summarize } from '../report/model.ts';
import { buildStatement } from '../report/statement.ts';
import { writeReports } from '../report/write.ts';
import { colorFor } from '../util/color.ts';
import { requireFreeSpace } from '../util/disk-space.ts';
import { requirePrintablePath, requireReportFiles, requireWritableFolder } from '../util/path-options.ts';
import { exitCodeFor, stopOnInterrupt } from '../util/signals.ts';
import { safeForTerminal } from '../util/terminal-safe.ts';
import { version } from '../config/version.ts';

type Color = ReturnType<typeof colorFor>;

interface RunFlags {
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

/** Guest text for the terminal: escaped, each line indented under the kittest line it belongs to. */
const indented = (text: string) => safeForTerminal(text.replace(/\r/g, '')).replace(/^/gm, '    ');

/**
 * --keep-failed: the first run with a failed case whose guest is alive is handed to the person at
 * the terminal, its failed cases' messages and evidence printed above its console; every later
 * failed run stops as usual. Other runs (--jobs) go on meanwhile, their lines held until Ctrl-].
 * A failed case is never retried (only infrastructure faults are), so a kept machine is never one
 * a retry replaces.
 */
function keepFirstFailed(live: LiveStatus, signal: AbortSignal): KeepFailed {
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
  const options = values as RunFlags;
  const wanted = readRunOptions(options);
  const plans = await planRuns(options, wanted);
  const color = colorFor(process.stdout);
  // Images are ready: from here on a Ctrl-C stops every machine and still writes the reports.
  const interrupt = stopOnInterrupt('stopping every machine');
  // QEMU and firmware must be there before anything starts.
  requireHostCanRun(plans);
  const statement = wanted.profile ? await profileStatement(wanted.profile, wanted.cases, plans) : undefined;
  const images = await checkedImages(plans);
  const live = new LiveStatus(process.stdout, color);
  const runs = await runMatrix({
    plans,
    images,
    cases: wanted.cases,
    jobs: wanted.jobs,
    retries: wanted.retries,
    accel: wanted.accel,
    signal: interrupt.signal,
    artifacts: options.artifacts ? resolve(options.artifacts) : undefined,
    keepFailed: options['keep-failed'] ? keepFirstFailed(live, interrupt.signal) : undefined,
    progress: liveProgress(live, color),
  });
  live.stop();
  interrupt.release();
  if (statement) for (const run of runs) run.qemu.version ??= statement.qemu[run.target];
  const report: Report = { tool: { name: 'kittest', version }, ...(statement ? { statement } : {}), runs, summary: summarize(runs) };
  const hostErrors = writeAndSummarize(report, options, color);
  if (interrupt.signal.aborted) return exitCodeFor(interrupt.signal.reason);
  // Nothing could start (every run failed writing its files before QEMU ran): the host's problem, as bad input is.
  if (runs.every((r) => r.hostError && r.qemu.exit === undefined)) return ExitCode.usage;
  return hostErrors.length === 0 && runs.every((r) => r.status === 'passed' || r.status === 'flaky') ? ExitCode.ok : ExitCode.failed;
}

/** What the options ask for, every one checked before anything is built or booted. */
function readRunOptions(options: RunFlags) {
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
  const accel = requireAccel('--accel', options.accel);
  const shard = options.shard ? parseShard(options.shard) : undefined;
  return { allTargets, targets, archGiven: Boolean(archNames?.length), profile, cases, jobs, retries, accel, shard };
}

/** Each run's target and image, this shard's only; the free space they need checked. */
async function planRuns(options: RunFlags, wanted: ReturnType<typeof readRunOptions>): Promise<ImagePlan[]> {
  const { targets, allTargets, archGiven, shard } = wanted;
  // Reference images are built per target, so those targets are sharded before planning; a given
  // image picks its target from its kernel, so its plans are sharded once made (that is cheap).
  const plans = options.image
    ? nonEmptyShard(await planImages(targets, allTargets, options, archGiven), shard, (p) => p.target.name)
    : await planImages(nonEmptyShard(targets, shard, (t) => t.name), allTargets, options, archGiven);
  if (plans.length === 0) throw new UsageError('nothing to run: no target is selected (no default target in targets/; pass --arch)');
  // Console logs are capped at 16 MiB per run; QEMU's private folders live in the temp dir.
  if (options.artifacts) requireFreeSpace(resolve(options.artifacts), plans.length * 17 * 1048576, 'the artifacts');
  requireFreeSpace(tmpdir(), 8 * 1048576, "QEMU's run folders");
  return plans;
}

/**
 * A profile's runs carry a conformance statement: the case files (hashed before any machine
 * starts, so what is recorded is what judged), kittest and QEMU they rest on.
 */
async function profileStatement(profile: Profile, cases: readonly CaseDef[], plans: readonly ImagePlan[]): Promise<Report['statement']> {
  const byBinary = new Map<string, Promise<string>>();
  const qemu: Record<string, string> = {};
  for (const { target } of plans) {
    if (!byBinary.has(target.qemu.binary)) byBinary.set(target.qemu.binary, qemuVersion(target.qemu.binary));
    qemu[target.name] = await byBinary.get(target.qemu.binary)!;
  }
  return buildStatement(profile, cases, qemu);
}

/** The matrix's progress as live lines on the terminal. */
function liveProgress(live: LiveStatus, color: Color): MatrixProgress {
  return {
    started: (target, image, accel) => {
      const unsafe = target.qemu.unsafe ? ` [unsafe QEMU settings: ${safeForTerminal(target.qemu.unsafe.reason)}]` : '';
      live.line(`${color.dim('start')} ${target.name.padEnd(8)} ${describeBootFiles(image)} ${safeForTerminal(image.prefix)} [${accel.reason}]${unsafe}`);
      live.update(target.name, 'booting');
    },
    judged: (target, c, next) => {
      if (c.status !== 'skipped' || c.message !== 'not run') live.line(caseLine(color, target.name, c));
      live.update(target.name, next ? `case ${next.id}` : 'stopping');
    },
    done: (target) => live.update(target.name, 'done'),
  };
}

/** Write the reports and print the summary, annotations and host errors; the host errors. */
function writeAndSummarize(report: Report, options: RunFlags, color: Color): string[] {
  const { runs } = report;
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
  return hostErrors;
}
