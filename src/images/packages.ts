// Which Debian packages an image needs on a target, their versions (from the signed index),
// and fetching them, falling back to older versions the archive still serves.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { displayPath, lineOfField, lineOfValue } from '../config/load-yaml.ts';
import { cacheDir } from '../config/paths.ts';
import { ConfigError, HostError } from '../errors.ts';
import { DebianArchive, UnknownPackageError, type DebCandidate } from './apt.ts';
import { packageFor, type ImageDefinition, type PackageChoice } from './definition.ts';
import { stableJson } from './merge.ts';
import type { ImageTarget } from '../config/targets.ts';
import { sha256Hex } from '../util/sha256.ts';

/** One package to fetch: its newest indexed versions, and the suite it comes from. */
interface PlannedPackage {
  name: string;
  suite: string;
  candidates: DebCandidate[];
}

export interface PackagePlan {
  /** Userland packages by name. */
  packages: Map<string, PlannedPackage>;
  /** The kernel: its metapackage (if any) and the image package per metapackage version. */
  kernel: { requested: string; suite: string; options: { meta: DebCandidate; image: DebCandidate[] }[] };
}

export interface FetchedPackage {
  candidate: DebCandidate;
  path: string;
}

/** The .debs an image is (or would be) made of: userland packages by name, and the kernel image package. */
interface DebSelection {
  packages: Map<string, { candidate: DebCandidate }>;
  kernel: { candidate: DebCandidate };
}

const archives = new Map<string, DebianArchive>();

/** The archive object for a suite (shared, so indexes load once per process). */
function archiveFor(def: ImageDefinition, suite: string, log: (line: string) => void): DebianArchive {
  const id = `${def.mirror} ${suite}`;
  let archive = archives.get(id);
  if (!archive) {
    archive = new DebianArchive(join(cacheDir(), 'apt'), def.mirror, suite, log);
    archives.set(id, archive);
  }
  // Shared across targets: progress lines go to the current caller's log (builds run one at a time).
  archive.log = log;
  return archive;
}

/** Every package choice (per-target replacements applied) the image needs on `target`. */
function packageChoices(def: ImageDefinition, target: string): PackageChoice[] {
  const entries = [
    ...def.init.packages,
    ...def.containerd.packages,
    ...def.onboot.flatMap((c) => c.packages ?? []),
    ...def.services.flatMap((c) => c.packages ?? []),
  ];
  return entries.map((e) => packageFor(e, target));
}

function unknownPackage(def: ImageDefinition, name: string, arch: string): ConfigError {
  const file = def.chain.find((f) => lineOfValue(f, name) !== undefined) ?? def.file;
  return new ConfigError(displayPath(file), `unknown Debian package ${name} for ${arch} in ${displayPath(file)}`, lineOfValue(file, name));
}

async function candidatesOrConfigError(def: ImageDefinition, archive: DebianArchive, name: string, arch: string): Promise<DebCandidate[]> {
  try {
    return await archive.candidates(name, arch);
  } catch (error) {
    if (error instanceof UnknownPackageError) throw unknownPackage(def, name, arch);
    throw error;
  }
}

/** Resolve every package of `def` for `target` against the archive index (no .deb is downloaded).
 *  Plans are kept per package-list version, so a cached image is found without loading the index. */
export async function planPackages(def: ImageDefinition, target: ImageTarget, log: (line: string) => void): Promise<PackagePlan> {
  const kernelEntry = def.kernel.packages[target.name];
  const kernelSuite = typeof kernelEntry === 'object' ? kernelEntry.suite : def.suite;
  const lists = [await archiveFor(def, def.suite, log).listsVersion(target.debianArch)];
  const choices = packageChoices(def, target.name);
  for (const suite of new Set([kernelSuite, ...choices.map((c) => c.suite ?? def.suite)])) {
    if (suite !== def.suite) lists.push(await archiveFor(def, suite, log).listsVersion(target.debianArch));
  }
  const names = choices.map((c) => (c.suite ? `${c.name}@${c.suite}` : c.name));
  const id = sha256Hex(stableJson({ mirror: def.mirror, arch: target.debianArch, lists, names, kernelEntry: kernelEntry ?? null }));
  const file = join(cacheDir(), 'apt', 'plans', `${id.slice(0, 32)}.json`);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Omit<PackagePlan, 'packages'> & { packages: PlannedPackage[] };
    return { ...saved, packages: new Map(saved.packages.map((p) => [p.name, p])) };
  }
  const plan = await resolvePlan(def, target, log);
  mkdirSync(join(cacheDir(), 'apt', 'plans'), { recursive: true });
  const partial = `${file}.${randomBytes(4).toString('hex')}`;
  writeFileSync(partial, JSON.stringify({ ...plan, packages: [...plan.packages.values()] }));
  renameSync(partial, file);
  return plan;
}

async function resolvePlan(def: ImageDefinition, target: ImageTarget, log: (line: string) => void): Promise<PackagePlan> {
  const arch = target.debianArch;
  const packages = new Map<string, PlannedPackage>();
  for (const choice of packageChoices(def, target.name)) {
    if (packages.has(choice.name)) continue;
    const suite = choice.suite ?? def.suite;
    packages.set(choice.name, { name: choice.name, suite, candidates: await candidatesOrConfigError(def, archiveFor(def, suite, log), choice.name, arch) });
  }
  const kernelEntry = def.kernel.packages[target.name];
  if (!kernelEntry) {
    const at = ['kernel', 'packages'];
    const file = def.chain.find((f) => lineOfField(f, at, { exact: true }) !== undefined) ?? def.file;
    throw new ConfigError(displayPath(file), `kernel.packages has no entry for target ${target.name}`, lineOfField(file, at, { exact: true }));
  }
  const kernelName = typeof kernelEntry === 'string' ? kernelEntry : kernelEntry.name;
  const kernelSuite = typeof kernelEntry === 'string' ? def.suite : kernelEntry.suite;
  const kernelArchive = archiveFor(def, kernelSuite, log);
  const options: PackagePlan['kernel']['options'] = [];
  for (const meta of await candidatesOrConfigError(def, kernelArchive, kernelName, arch)) {
    const dependency = /(?:^|,\s*)(linux-image-[^\s,|(]+)\s*\(=\s*([^)\s]+)\)/.exec(meta.depends);
    if (!dependency) {
      options.push({ meta, image: [meta] });
      continue;
    }
    const images = await kernelArchive.candidates(dependency[1]!, arch).catch(() => []);
    options.push({ meta, image: images.filter((c) => c.version === dependency[2]) });
  }
  return { packages, kernel: { requested: kernelName, suite: kernelSuite, options } };
}

/** One line per .deb of `selection`: name:arch=version and its sha256, sorted (the cache key's package input). */
export function selectionLines(selection: DebSelection): string[] {
  const line = (c: DebCandidate): string => `${c.name}:${c.arch}=${c.version} sha256:${c.sha256}`;
  return [...[...selection.packages.values()].map((p) => line(p.candidate)), `kernel ${line(selection.kernel.candidate)}`].sort();
}

/** What fetchPackages picks when the archive serves the newest indexed version of everything. */
export function newestSelection(plan: PackagePlan): DebSelection {
  const packages = new Map<string, { candidate: DebCandidate }>([...plan.packages.values()].map((p) => [p.name, { candidate: p.candidates[0]! }]));
  const option = plan.kernel.options.find((o) => o.image.length > 0) ?? plan.kernel.options[0]!;
  const kernel = option.image[0] ?? option.meta;
  if (kernel !== option.meta) packages.set(option.meta.name, { candidate: option.meta });
  return { packages, kernel: { candidate: kernel } };
}

function fetchedRecord(plan: PackagePlan): string {
  const id = sha256Hex(stableJson({ ...plan, packages: [...plan.packages.values()] }));
  return join(cacheDir(), 'apt', 'fetched', `${id.slice(0, 32)}.json`);
}

/** The lines (selectionLines) of what was fetched last time for this very plan, if it was fetched before. */
export function fetchedBefore(plan: PackagePlan): string[] | undefined {
  const file = fetchedRecord(plan);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as string[]) : undefined;
}

/** Remember what was fetched for `plan`, so the next lookup computes the key of what the archive really served. */
export function recordFetched(plan: PackagePlan, lines: readonly string[]): void {
  const file = fetchedRecord(plan);
  mkdirSync(join(cacheDir(), 'apt', 'fetched'), { recursive: true });
  const partial = `${file}.${randomBytes(4).toString('hex')}`;
  writeFileSync(partial, JSON.stringify(lines));
  renameSync(partial, file);
}

/** Download (or find cached) the newest version of each package the archive actually serves. */
export async function fetchPackages(def: ImageDefinition, target: ImageTarget, plan: PackagePlan, log: (line: string) => void): Promise<{ packages: Map<string, FetchedPackage>; kernel: FetchedPackage }> {
  const fetched = new Map<string, FetchedPackage>();
  for (const planned of plan.packages.values()) {
    const archive = archiveFor(def, planned.suite, log);
    let found: FetchedPackage | undefined;
    for (const candidate of planned.candidates) {
      const path = await archive.download(candidate);
      if (path) {
        found = { candidate, path };
        break;
      }
      log(`the archive has no ${candidate.filename}; trying an older version`);
    }
    if (!found) {
      throw new HostError(`the Debian archive serves no .deb of ${planned.name} for ${target.debianArch} (tried ${planned.candidates.map((c) => c.version).join(', ')}); pick another package for target ${target.name} in ${displayPath(def.file)}`);
    }
    fetched.set(planned.name, found);
  }
  const kernelArchive = archiveFor(def, plan.kernel.suite, log);
  for (const option of plan.kernel.options) {
    for (const candidate of option.image) {
      const path = await kernelArchive.download(candidate);
      if (path) {
        if (candidate !== option.meta) fetched.set(option.meta.name, { candidate: option.meta, path: '' });
        return { packages: fetched, kernel: { candidate, path } };
      }
      log(`the archive has no ${candidate.filename}; trying an older kernel`);
    }
  }
  throw new HostError(`the Debian archive (${plan.kernel.suite}) serves no kernel .deb for ${plan.kernel.requested} on ${target.debianArch}; pin another suite in kernel.packages.${target.name} of ${displayPath(def.file)}`);
}
