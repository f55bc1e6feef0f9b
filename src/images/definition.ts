// Image definitions: load a YAML file (and what it extends), merge, validate, apply defaults.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { displayPath, lineOfField, lineOfValue, loadYamlFile, type FieldPath } from '../config/load-yaml.ts';
import { imagesDir } from '../config/paths.ts';
import { ConfigError } from '../errors.ts';
import { deepMerge } from './merge.ts';
import { isPlainObject } from '../util/plain-object.ts';
import { depthInRoot, isWithin } from './root-paths.ts';

interface Relocation {
  from: string;
  to: string;
}

export interface PackageChoice {
  name: string;
  /** Another suite to take it from, where the image's own suite serves no .deb of it for a target. */
  suite?: string;
  include?: string[];
  relocate?: Relocation[];
}

interface PackageSpec extends PackageChoice {
  targets?: Record<string, PackageChoice>;
}

type PackageEntry = string | PackageSpec;

/** A kernel package name, or a name pinned to another suite (when the main suite cannot serve it). */
type KernelPackage = string | { name: string; suite: string };

export interface FileSpec {
  path: string;
  contents?: string;
  /** Absolute once loaded (relative to the definition that named it in the YAML). */
  source?: string;
  symlink?: string;
  mode?: string;
  /** Lets `source` be outside the folders a definition may copy from (see sourceDirs). */
  allowOutsideSource?: boolean;
}

export interface ContainerSpec {
  name: string;
  packages?: PackageEntry[];
  files?: FileSpec[];
  command: string[];
  env?: string[];
  net?: 'host' | 'none';
  pid?: 'host' | 'private';
  ipc?: 'host' | 'new';
  uts?: 'host' | 'new';
  privileged?: boolean;
  capabilities?: string[];
  /** OCI linux.readonlyPaths, replacing the default set of unprivileged containers. */
  readonlyPaths?: string[];
  /** Broken variants only: init starts this service with `ctr run --privileged`, ignoring its declaration. */
  startPrivileged?: boolean;
  /** `capabilities` is the whole set, not an addition to the default set. */
  onlyCapabilities?: boolean;
  binds?: string[];
  runtime?: 'container' | 'host';
  /** Onboot only: keep runc's record of the container after it exits (LinuxKit deletes it). */
  keep?: boolean;
}

/** One YAML file as written (everything optional: it may extend another). */
interface RawDefinition {
  extends?: string;
  name?: string;
  description?: string;
  suite?: string;
  mirror?: string;
  format?: 'kernel+initrd' | 'kernel+squashfs';
  kernel?: { packages?: Record<string, KernelPackage>; modules?: string[]; cmdline?: string[] };
  init?: { readonlyRoot?: boolean; tmpfs?: string[]; consoleService?: string; packages?: PackageEntry[] };
  containerd?: { start?: boolean; namespace?: string; packages?: PackageEntry[] };
  onboot?: ContainerSpec[];
  services?: ContainerSpec[];
  files?: FileSpec[];
  remove?: string[];
}

/** A fully merged definition with defaults applied. */
export interface ImageDefinition {
  /** Absolute path of the file that was loaded. */
  file: string;
  /** That file and every file it extends, nearest first. */
  chain: string[];
  name: string;
  description: string;
  suite: string;
  mirror: string;
  format: 'kernel+initrd' | 'kernel+squashfs';
  kernel: { packages: Record<string, KernelPackage>; modules: string[]; cmdline: string[] };
  init: { readonlyRoot: boolean; tmpfs: string[]; consoleService?: string; packages: PackageEntry[] };
  containerd: { start: boolean; namespace: string; packages: PackageEntry[] };
  onboot: ContainerSpec[];
  services: ContainerSpec[];
  files: FileSpec[];
  remove: string[];
}

const schemaFile = join(imagesDir, 'image.schema.json');
export const referenceDefinition = join(imagesDir, 'reference.yml');

/** Why an absolute path in an image cannot be written or deleted there, if it cannot. */
function imagePathProblem(path: string): string | undefined {
  const depth = depthInRoot(path);
  if (depth < 0) return 'leaves the image root';
  if (depth === 0) return 'names the image root itself';
  return undefined;
}

/** Folders a definition's sources may come from: its own, and that of the definition its extends chain ends at (for images/broken/*.yml, images/). */
function sourceDirs(file: string, chain: readonly string[]): string[] {
  const dirs = [dirname(file), dirname(chain[chain.length - 1] ?? file)];
  return [...new Set(dirs.map((dir) => realpathSync(dir)))];
}

/** Check one file's `files` list (at `at` in that file) and make its sources absolute. */
function absolutizeSources(files: FileSpec[] | undefined, file: string, at: FieldPath, allowed: readonly string[]): void {
  for (const [i, entry] of (files ?? []).entries()) {
    const lineOf = (key: string) => lineOfField(file, [...at, i, key]);
    const problem = imagePathProblem(entry.path);
    if (problem) throw new ConfigError(displayPath(file), `files: path "${entry.path}" ${problem}`, lineOf('path'));
    if (entry.source !== undefined) {
      const path = isAbsolute(entry.source) ? entry.source : resolve(dirname(file), entry.source);
      if (!existsSync(path)) throw new ConfigError(displayPath(file), `files: source "${entry.source}" does not exist`, lineOf('source'));
      if (!entry.allowOutsideSource && !allowed.some((dir) => isWithin(dir, realpathSync(path)))) {
        throw new ConfigError(
          displayPath(file),
          `files: source "${entry.source}" of ${entry.path} is outside ${allowed.map(displayPath).join(' and ')}; set allowOutsideSource: true on the entry to copy it anyway`,
          lineOf('source'),
        );
      }
      entry.source = path;
    }
    const given = [entry.contents, entry.source, entry.symlink].filter((v) => v !== undefined).length;
    if (given !== 1) {
      throw new ConfigError(displayPath(file), `file ${entry.path} needs exactly one of contents, source, symlink`, lineOf('path'));
    }
  }
}

/** Every container of one file, with where it is in that file. */
function containersAt(raw: RawDefinition): { container: ContainerSpec; at: FieldPath }[] {
  return [
    ...(raw.onboot ?? []).map((container, i) => ({ container, at: ['onboot', i] })),
    ...(raw.services ?? []).map((container, i) => ({ container, at: ['services', i] })),
  ];
}

/** Every package entry of one file, with its per-target replacements, each with where it is in that file. */
function packageChoices(raw: RawDefinition): { choice: PackageChoice; at: FieldPath }[] {
  const lists: { entries: PackageEntry[] | undefined; at: FieldPath }[] = [
    { entries: raw.init?.packages, at: ['init', 'packages'] },
    { entries: raw.containerd?.packages, at: ['containerd', 'packages'] },
    ...containersAt(raw).map(({ container, at }) => ({ entries: container.packages, at: [...at, 'packages'] })),
  ];
  return lists.flatMap(({ entries, at }) =>
    (entries ?? []).flatMap((entry, i) =>
      typeof entry === 'string'
        ? []
        : [{ choice: entry, at: [...at, i] }, ...Object.entries(entry.targets ?? {}).map(([target, choice]) => ({ choice, at: [...at, i, 'targets', target] }))],
    ),
  );
}

/** Refuse, naming file:line, any path of one file that would be written or deleted outside the image root. */
function checkImagePaths(file: string, raw: RawDefinition): void {
  for (const [i, path] of (raw.remove ?? []).entries()) {
    const problem = imagePathProblem(path);
    if (problem) throw new ConfigError(displayPath(file), `remove: "${path}" ${problem}`, lineOfField(file, ['remove', i]));
  }
  for (const { choice, at } of packageChoices(raw)) {
    for (const [k, rule] of (choice.relocate ?? []).entries()) {
      if (depthInRoot(rule.to) < 0) {
        throw new ConfigError(displayPath(file), `package ${choice.name}: relocate to "${rule.to}" leaves the image root`, lineOfField(file, [...at, 'relocate', k, 'to']));
      }
    }
  }
}

/** One file and every file it extends, nearest first, each as written. */
function loadChain(file: string, seen: string[], chain: string[]): { file: string; raw: RawDefinition }[] {
  chain.push(file);
  if (seen.includes(file)) {
    throw new ConfigError(displayPath(file), `extends loop: ${[...seen, file].map(displayPath).join(' -> ')}`, lineOfField(file, ['extends']));
  }
  const raw = loadYamlFile<RawDefinition>(file, schemaFile);
  if (!raw.extends) return [{ file, raw }];
  const baseFile = resolve(dirname(file), raw.extends);
  if (!existsSync(baseFile)) throw new ConfigError(displayPath(file), `extends: "${raw.extends}" does not exist`, lineOfField(file, ['extends']));
  return [{ file, raw }, ...loadChain(baseFile, [...seen, file], chain)];
}

/** Load one file and everything it extends, checked (paths, sources made absolute) and merged. */
function loadRaw(file: string, chain: string[]): RawDefinition {
  const files = loadChain(file, [], chain);
  for (const { file: each, raw } of files) {
    checkImagePaths(each, raw);
    const allowed = sourceDirs(each, chain);
    absolutizeSources(raw.files, each, ['files'], allowed);
    for (const { container, at } of containersAt(raw)) absolutizeSources(container.files, each, [...at, 'files'], allowed);
  }
  return files.reduceRight<RawDefinition>((base, { raw }) => {
    const { extends: _ignored, ...own } = raw;
    return deepMerge(base, own) as RawDefinition;
  }, {});
}

function checkContainers(file: string, def: ImageDefinition): void {
  const names = new Set<string>();
  for (const container of [...def.onboot, ...def.services]) {
    if (names.has(container.name)) throw new ConfigError(displayPath(file), `container name "${container.name}" is used twice`, lineOfValue(file, container.name));
    names.add(container.name);
  }
}

/** Load, merge and validate an image definition; throws ConfigError (file:line: detail). */
export function loadDefinition(definitionFile: string): ImageDefinition {
  const file = resolve(definitionFile);
  const chain: string[] = [];
  const raw = loadRaw(file, chain);
  const shown = displayPath(file);
  for (const key of ['name', 'suite'] as const) {
    if (!raw[key]) throw new ConfigError(shown, `missing required key "${key}" (here or in the file it extends)`, 1);
  }
  if (!raw.kernel?.packages || Object.keys(raw.kernel.packages).length === 0) {
    throw new ConfigError(shown, 'missing required key "kernel.packages" (here or in the file it extends)', 1);
  }
  if (!isPlainObject(raw.kernel.packages)) throw new ConfigError(shown, 'kernel.packages must be an object');
  const def: ImageDefinition = {
    file,
    chain,
    name: raw.name!,
    description: raw.description ?? '',
    suite: raw.suite!,
    mirror: (raw.mirror ?? 'http://deb.debian.org/debian').replace(/\/+$/, ''),
    format: raw.format ?? 'kernel+initrd',
    kernel: { packages: raw.kernel.packages, modules: raw.kernel.modules ?? [], cmdline: raw.kernel.cmdline ?? [] },
    init: {
      readonlyRoot: raw.init?.readonlyRoot ?? true,
      tmpfs: raw.init?.tmpfs ?? ['/run', '/tmp', '/var'],
      ...(raw.init?.consoleService ? { consoleService: raw.init.consoleService } : {}),
      packages: raw.init?.packages ?? [],
    },
    containerd: {
      start: raw.containerd?.start ?? true,
      namespace: raw.containerd?.namespace ?? 'services.linuxkit',
      packages: raw.containerd?.packages ?? [],
    },
    onboot: raw.onboot ?? [],
    services: raw.services ?? [],
    files: raw.files ?? [],
    remove: raw.remove ?? [],
  };
  checkContainers(file, def);
  return def;
}

/** The package entry to use on `target` (per-target replacement applied), normalised to an object. */
export function packageFor(entry: PackageEntry, target: string): PackageChoice {
  if (typeof entry === 'string') return { name: entry };
  const choice = entry.targets?.[target];
  if (choice) return choice;
  const { targets: _targets, ...rest } = entry;
  return rest;
}
