// Image definitions: load a YAML file (and what it extends), merge, validate, apply defaults.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { displayPath, loadYamlFile } from '../config/load-yaml.ts';
import { imagesDir } from '../config/paths.ts';
import { ConfigError } from '../errors.ts';
import { deepMerge, isPlainObject } from './merge.ts';

export interface Relocation {
  from: string;
  to: string;
}

export interface PackageChoice {
  name: string;
  include?: string[];
  relocate?: Relocation[];
}

export interface PackageSpec extends PackageChoice {
  targets?: Record<string, PackageChoice>;
}

export type PackageEntry = string | PackageSpec;

/** A kernel package name, or a name pinned to another suite (when the main suite cannot serve it). */
export type KernelPackage = string | { name: string; suite: string };

export interface FileSpec {
  path: string;
  contents?: string;
  /** Absolute once loaded (relative to the definition that named it in the YAML). */
  source?: string;
  symlink?: string;
  mode?: string;
}

export interface ContainerSpec {
  name: string;
  packages?: PackageEntry[];
  files?: FileSpec[];
  command: string[];
  env?: string[];
  net?: 'host' | 'none';
  pid?: 'host' | 'private';
  privileged?: boolean;
  capabilities?: string[];
  binds?: string[];
  runtime?: 'container' | 'host';
  /** Onboot only: keep runc's record of the container after it exits (LinuxKit deletes it). */
  keep?: boolean;
}

/** One YAML file as written (everything optional: it may extend another). */
export interface RawDefinition {
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

export const schemaFile = join(imagesDir, 'image.schema.json');
export const referenceDefinition = join(imagesDir, 'reference.yml');

/** 1-based line of the first line of `file` containing `needle`, if any. */
export function lineContaining(file: string, needle: string): number | undefined {
  try {
    const index = readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes(needle));
    return index >= 0 ? index + 1 : undefined;
  } catch {
    return undefined;
  }
}

function absolutizeSources(files: FileSpec[] | undefined, file: string): void {
  for (const entry of files ?? []) {
    if (entry.source !== undefined) {
      const path = isAbsolute(entry.source) ? entry.source : resolve(dirname(file), entry.source);
      if (!existsSync(path)) throw new ConfigError(displayPath(file), `files: source "${entry.source}" does not exist`, lineContaining(file, entry.source));
      entry.source = path;
    }
    const given = [entry.contents, entry.source, entry.symlink].filter((v) => v !== undefined).length;
    if (given !== 1) {
      throw new ConfigError(displayPath(file), `file ${entry.path} needs exactly one of contents, source, symlink`, lineContaining(file, entry.path));
    }
  }
}

/** Load one file and everything it extends, merged (sources made absolute). */
function loadRaw(file: string, seen: string[], chain: string[]): RawDefinition {
  chain.push(file);
  if (seen.includes(file)) {
    throw new ConfigError(displayPath(file), `extends loop: ${[...seen, file].map(displayPath).join(' -> ')}`, lineContaining(file, 'extends'));
  }
  const raw = loadYamlFile<RawDefinition>(file, schemaFile);
  absolutizeSources(raw.files, file);
  for (const container of [...(raw.onboot ?? []), ...(raw.services ?? [])]) absolutizeSources(container.files, file);
  if (!raw.extends) return raw;
  const baseFile = resolve(dirname(file), raw.extends);
  if (!existsSync(baseFile)) throw new ConfigError(displayPath(file), `extends: "${raw.extends}" does not exist`, lineContaining(file, 'extends'));
  const base = loadRaw(baseFile, [...seen, file], chain);
  const { extends: _ignored, ...own } = raw;
  return deepMerge(base, own) as RawDefinition;
}

function checkContainers(file: string, def: ImageDefinition): void {
  const names = new Set<string>();
  for (const container of [...def.onboot, ...def.services]) {
    if (names.has(container.name)) throw new ConfigError(displayPath(file), `container name "${container.name}" is used twice`, lineContaining(file, container.name));
    names.add(container.name);
  }
}

/** Load, merge and validate an image definition; throws ConfigError (file:line: detail). */
export function loadDefinition(definitionFile: string): ImageDefinition {
  const file = resolve(definitionFile);
  const chain: string[] = [];
  const raw = loadRaw(file, [], chain);
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
