// Every kittest command: its flags, its help, and a lazy loader for its implementation.
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: Options;
  readonly help: Readonly<Record<string, string>>;
  readonly positionals?: { readonly min: number; readonly max: number };
  /** Runs the command; resolves with the exit code. */
  readonly load: () => Promise<(values: Record<string, unknown>, positionals: string[]) => Promise<number>>;
}

const runOptions: Options = {
  arch: { type: 'string' },
  image: { type: 'string' },
  format: { type: 'string' },
  case: { type: 'string' },
  json: { type: 'string' },
  junit: { type: 'string' },
  html: { type: 'string' },
  summary: { type: 'string' },
  artifacts: { type: 'string' },
  jobs: { type: 'string' },
  shard: { type: 'string' },
  retries: { type: 'string' },
  accel: { type: 'string' },
  cases: { type: 'string', multiple: true },
  targets: { type: 'string', multiple: true },
  profile: { type: 'string' },
  'keep-failed': { type: 'boolean' },
  linuxkit: { type: 'string' },
};

export const commands: readonly CommandSpec[] = [
  {
    name: 'run',
    summary: 'boot images under QEMU and check the conformance cases',
    usage: 'kittest run [--arch A[,B...]] [--image PREFIX|FILE] [--format F] [--case ID[,ID...]] [--json FILE] [--junit FILE] [--html FILE] [--summary FILE] [--artifacts DIR] [--jobs N] [--shard I/N] [--retries N] [--accel auto|kvm|tcg] [--cases DIR ...] [--targets DIR ...] [--profile NAME|FILE] [--linuxkit FILE] [--keep-failed]',
    options: runOptions,
    help: {
      arch: 'targets to run (names or aliases, comma-separated; default: every default target)',
      image: 'LinuxKit output: a prefix (PREFIX-kernel + -initrd.img, -squashfs.img or -erofs.img; PREFIX.iso, -efi.iso, -bios.img, -efi.img, .qcow2, -efi.qcow2) or one of those files; default: the reference image, built if missing',
      format: 'which format to boot when the prefix has several; without --image, the reference image is made in this format (kernel+initrd, kernel+squashfs, kernel+erofs, iso-bios, iso-efi, raw-bios, raw-efi, qcow2-bios, qcow2-efi)',
      case: 'case ids to check (comma-separated; boot always runs)',
      json: 'write the JSON report to FILE',
      junit: 'write a JUnit XML report to FILE',
      html: 'write a self-contained HTML report to FILE',
      summary: 'append a Markdown summary (verdict grid, failed cases, timeline) to FILE, e.g. "$GITHUB_STEP_SUMMARY"; with GITHUB_ACTIONS=true failed cases are also printed as ::error annotations',
      artifacts: 'keep per-run console log, QEMU command line and report under DIR',
      jobs: 'runs in parallel (default: number of CPU cores)',
      shard: 'run only shard I of N (1-based), e.g. 2/3',
      retries: 'retries for infrastructure faults only (default 1)',
      accel: 'accelerator: auto (default), kvm or tcg',
      cases: 'a folder of case files to add to the built-in cases (repeatable); ids must be unique across all folders',
      targets: 'a folder of target files to add to the built-in targets (repeatable); a file there may extend a built-in target (a machine variant) and then boots its reference image',
      profile: 'run exactly the cases of a profile (profiles/NAME.yml, or a profile file) and write a conformance statement into every report',
      linuxkit: "the linuxkit.yml that built the image: services-declared checks the services and onboot containers it lists (each against what the file sets, over the image's own config.json), so an image cannot drop a declaration unseen",
      'keep-failed': 'on a terminal: keep the first failed machine running and drop into its console, the failed cases\' evidence above; Ctrl-] leaves and powers it off (refused without a TTY)',
    },
    load: async () => (await import('./run.ts')).runCommand,
  },
  {
    name: 'build',
    summary: 'build the reference image (or another definition) for one or more targets',
    usage: 'kittest build [--arch A[,B...]|all] [--image FILE] [--format F[,F...]|all]',
    options: { arch: { type: 'string' }, image: { type: 'string' }, format: { type: 'string' } },
    help: {
      arch: 'targets to build for (comma-separated, or all; default: every default target)',
      image: 'image definition YAML (default: images/reference.yml)',
      format: 'also make these LinuxKit outputs from each image, one line each with its size: kernel+initrd, kernel+squashfs, kernel+erofs, iso-bios, iso-efi, raw-bios, raw-efi, qcow2-bios, qcow2-efi, or all (what the arch can have)',
    },
    load: async () => (await import('./build.ts')).buildCommand,
  },
  {
    name: 'list',
    summary: 'list targets, cases or images with a line of description each',
    usage: 'kittest list targets|cases|images|profiles [--cases DIR ...] [--targets DIR ...]',
    options: { cases: { type: 'string', multiple: true }, targets: { type: 'string', multiple: true } },
    help: { cases: 'a folder of case files to list besides the built-in cases (repeatable)', targets: 'a folder of target files to list besides the built-in targets (repeatable)' },
    positionals: { min: 1, max: 1 },
    load: async () => (await import('./list.ts')).listCommand,
  },
  {
    name: 'shell',
    summary: 'boot an image and attach this terminal to its serial console (Ctrl-] leaves)',
    usage: 'kittest shell [--arch A] [--image PREFIX|FILE] [--format F] [--log DIR] [--targets DIR ...]',
    options: { arch: { type: 'string' }, image: { type: 'string' }, format: { type: 'string' }, log: { type: 'string' }, targets: { type: 'string', multiple: true } },
    help: {
      arch: 'target to boot (default: the first default target, or the one matching the kernel of --image)',
      image: 'LinuxKit output prefix or image file, as for run (default: the reference image)',
      format: 'format to boot, as for run',
      log: 'folder for the console log (default: out/shell)',
      targets: 'a folder of target files to add to the built-in targets (repeatable), as for run',
    },
    load: async () => (await import('./shell.ts')).shellCommand,
  },
  {
    name: 'report',
    summary: "merge the JSON reports of shards into one report (JSON, JUnit, HTML), verify a report's conformance statement, or summarize a report in Markdown",
    usage: 'kittest report merge A.json B.json ... [--arch A[,B...]|all] [--targets DIR ...] [--json FILE] [--junit FILE] [--html FILE] [--summary FILE] | kittest report verify REPORT.json [--cases DIR ...] | kittest report summary REPORT.json [--summary FILE]',
    options: { arch: { type: 'string' }, targets: { type: 'string', multiple: true }, json: { type: 'string' }, junit: { type: 'string' }, html: { type: 'string' }, summary: { type: 'string' }, cases: { type: 'string', multiple: true } },
    help: {
      cases: 'verify: a folder of vendor case files the statement names (repeatable)',
      arch: 'targets the merged report must have a run for (default: the default targets, as kittest run and kittest matrix use); one absent exits 1, naming it',
      targets: 'merge: a folder of vendor target files the shards ran with kittest run --targets (repeatable), so --arch and the default targets include them',
      json: 'write the merged JSON report to FILE',
      junit: 'write the merged JUnit XML report to FILE',
      html: 'write the merged self-contained HTML report to FILE',
      summary: 'merge, summary: append the Markdown summary to FILE (e.g. "$GITHUB_STEP_SUMMARY"; summary without it prints it); with GITHUB_ACTIONS=true failed cases are printed as ::error annotations',
    },
    positionals: { min: 2, max: Number.POSITIVE_INFINITY },
    load: async () => (await import('./report.ts')).reportCommand,
  },
  {
    name: 'matrix',
    summary: 'print the CI job matrix (one job per default target, or N shards)',
    usage: 'kittest matrix --format github [--shards N]',
    options: { format: { type: 'string' }, shards: { type: 'string' } },
    help: {
      format: 'output format: github (a strategy.matrix object for GitHub Actions, on one line)',
      shards: 'N jobs running kittest run --shard I/N instead of one job per default target',
    },
    load: async () => (await import('./matrix.ts')).matrixCommand,
  },
  {
    name: 'bench',
    summary: 'measure harness overhead, case phase, verdict times (full, failing, panic), boot stages, footprint and the matrix',
    usage: 'kittest bench [--runs N] [--arch A[,B...]] [--out FILE] [--cases DIR ...]',
    options: { runs: { type: 'string' }, arch: { type: 'string' }, out: { type: 'string' }, cases: { type: 'string', multiple: true } },
    help: {
      cases: 'a folder of case files to add to the built-in cases (repeatable)',
      runs: 'runs of each side (kittest and the bare driver), interleaved (default 3)',
      arch: 'targets to measure (default: every target, all five)',
      out: 'result JSON file (default: bench/results/<date>-<host>.json and latest.json)',
    },
    load: async () => (await import('./bench.ts')).benchCommand,
  },
  {
    name: 'setup',
    summary: "install the host's Debian packages for the targets: QEMU, firmware and the image-building tools (needs root)",
    usage: 'kittest setup [--arch A[,B...]|all] [--targets DIR ...] [--dry-run]',
    options: { arch: { type: 'string' }, targets: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' } },
    help: {
      arch: 'targets to set up for (comma-separated, or all; default: every default target)',
      targets: 'a folder of vendor target files (repeatable), as for run',
      'dry-run': 'print the apt-get install command for what is missing instead of running it',
    },
    load: async () => (await import('./setup.ts')).setupCommand,
  },
  {
    name: 'cache-key',
    summary: "print a key for CI caches of kittest's image cache: the image definitions, the builder version and the targets",
    usage: 'kittest cache-key [--arch A[,B...]|all] [--image FILE] [--targets DIR ...]',
    options: { arch: { type: 'string' }, image: { type: 'string' }, targets: { type: 'string', multiple: true } },
    help: {
      arch: 'targets whose images the cache holds (comma-separated, or all; default: every default target)',
      image: 'image definition YAML (default: images/reference.yml)',
      targets: 'a folder of vendor target files (repeatable), as for run',
    },
    load: async () => (await import('./cache-key.ts')).cacheKeyCommand,
  },
  {
    name: 'doctor',
    summary: 'check the host: QEMU binaries, firmware and KVM for every target',
    usage: 'kittest doctor',
    options: {},
    help: {},
    load: async () => (await import('./doctor.ts')).doctorCommand,
  },
];
