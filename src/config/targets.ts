// Targets: one YAML file per machine under targets/ (and a vendor's --targets folders), loaded,
// validated and frozen; and the one place a target is found by name or alias.
import { ConfigError, UsageError } from '../errors.ts';
import type { BootFormat } from './boot-formats.ts';
import { dataFilesIn, vendorFolders } from './data-folders.ts';
import { displayPath, lineOfField, loadYamlFile } from './load-yaml.ts';
import { schemaFiles, targetsDir } from './paths.ts';
import { firmwareProblems, qemuBinaryProblem, qemuSettingProblems } from './qemu-safety.ts';
import { checkRegexFields, type RegexField } from './regex-fields.ts';
import { isPlainObject } from '../util/plain-object.ts';

export interface Target {
  readonly name: string;
  /** The built-in target this one is a variant of (a vendor's machine), if any. */
  readonly extends?: string;
  /** The target whose reference image this one boots: `extends`, or itself. */
  readonly imageTarget: string;
  readonly description: string;
  readonly aliases: readonly string[];
  readonly debianArch: string;
  readonly kernelArch: string;
  readonly default: boolean;
  readonly qemu: {
    /** qemu-system-ARCH, looked up on PATH; with `unsafe`, an absolute path to one may be given. */
    readonly binary: string;
    readonly package: string;
    readonly machine: string;
    readonly cpu: { readonly tcg: string; readonly kvm?: string };
    readonly memoryMiB: number;
    readonly smp: number;
    readonly nic: string;
    readonly rng: string;
    readonly disk: string;
    readonly scsi: string;
    readonly firmware?: string;
    readonly firmwarePackage?: string;
    /** QEMU device that reports a guest panic over QMP (pvpanic, pvpanic-pci), if the machine has one. */
    readonly panicDevice?: string;
    readonly extraArgs: readonly string[];
    /** Lets extraArgs and the model fields reach the host (networks, writable drives, host files) and binary name a QEMU build by absolute path; the reason goes into every report. */
    readonly unsafe?: { readonly reason: string };
  };
  readonly console: {
    readonly device: string;
    readonly failurePatterns: readonly string[];
    readonly typeAfter?: { readonly pattern: string; readonly orAfterMs: number };
    readonly login?: { readonly prompt: string; readonly user: string; readonly password?: string; readonly passwordPrompt: string };
  };
  readonly rootDisk: string;
  /** LinuxKit formats this target boots. */
  readonly formats: readonly BootFormat[];
  /** UEFI firmware for *-efi formats. */
  readonly efi?: { readonly code: string; readonly vars: string; readonly package: string };
  readonly timeouts: { readonly bootMs: number; readonly commandMs: number; readonly silenceMs?: number; readonly idleMs?: number };
  /** File the target was read from. */
  readonly file: string;
}

const schemaFile = schemaFiles.target;

/**
 * Load one target file (validated; defaults filled in). A file that `extends` a target of `bases`
 * is merged onto that target's own file first; the merged target is validated as a whole.
 */
function loadTarget(file: string, bases: readonly Target[] = []): Target {
  const raw = loadYamlFile<Omit<Target, 'file' | 'kernelArch' | 'aliases' | 'imageTarget'> & { kernelArch?: string; aliases?: string[] }>(file, schemaFile, (data, lineAt) => {
    if (data.extends === undefined) return data;
    const base = typeof data.extends === 'string' ? bases.find((t) => t.name === data.extends) : undefined;
    if (!base) {
      const known = bases.map((t) => t.name).join(', ') || 'none';
      throw new ConfigError(displayPath(file), `extends: no built-in target "${String(data.extends)}" (known: ${known})`, lineAt(['extends']));
    }
    // The variant names itself; being in the default matrix and answering to aliases are its own to say.
    const { aliases: _aliases, default: _default, ...inherited } = loadYamlFile<Record<string, unknown>>(base.file, schemaFile);
    // The kernel architecture comes with the machine it extends, not from the variant's name.
    return mergeFields({ ...inherited, kernelArch: base.kernelArch }, data);
  });
  const efiFormat = raw.formats.find((f) => f.endsWith('-efi'));
  if (efiFormat && !raw.efi) {
    throw new ConfigError(displayPath(file), `formats lists ${efiFormat} but there is no efi firmware (efi: code, vars, package)`, lineOfField(file, ['formats', raw.formats.indexOf(efiFormat)]));
  }
  checkRegexFields(file, regexFields(raw.console));
  const notQemu = qemuBinaryProblem(raw.qemu.binary);
  if (notQemu) throw new ConfigError(displayPath(file), notQemu, lineOfField(file, ['qemu', 'binary']));
  const [unsafe] = raw.qemu.unsafe ? [] : [...qemuSettingProblems(raw.qemu), ...firmwareProblems(raw)];
  if (unsafe) throw new ConfigError(displayPath(file), `${unsafe.text}; a target may do that only with qemu.unsafe: { reason: "..." }`, lineOfField(file, unsafe.path));
  return Object.freeze({ ...raw, aliases: raw.aliases ?? [], kernelArch: raw.kernelArch ?? raw.name, imageTarget: raw.extends ?? raw.name, file });
}

/** `over` merged onto `base`: objects key by key, anything else (lists included) replaced. */
function mergeFields(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = merged[key];
    merged[key] = isPlainObject(under) && isPlainObject(value) ? mergeFields(under, value) : value;
  }
  return merged;
}

/** The regular expressions of a target's console settings, with where they are. */
function regexFields(console: Target['console']): RegexField[] {
  return [
    ...(console.failurePatterns ?? []).map((source, i) => ({ path: ['console', 'failurePatterns', i], source, mustNotMatchEmpty: true })),
    ...(console.typeAfter ? [{ path: ['console', 'typeAfter', 'pattern'], source: console.typeAfter.pattern }] : []),
    ...(console.login ? [{ path: ['console', 'login', 'prompt'], source: console.login.prompt }] : []),
    ...(console.login?.passwordPrompt !== undefined ? [{ path: ['console', 'login', 'passwordPrompt'], source: console.login.passwordPrompt }] : []),
  ];
}

/** Every target under `dir`, sorted by name; a file there may extend one of `bases`. */
export function loadTargets(dir = targetsDir, bases: readonly Target[] = []): Target[] {
  return dataFilesIn(dir).map((file) => loadTarget(file, bases));
}

/**
 * The built-in targets and those of each folder given with --targets (a vendor's machines, which
 * may extend a built-in one). Names and aliases are unique across all: a clash is exit 2 naming both files.
 */
export function loadAllTargets(folders: readonly string[] = []): Target[] {
  const builtIn = loadTargets();
  const all = [...builtIn];
  for (const { files } of vendorFolders('--targets', folders, targetsDir, 'target')) {
    for (const file of files) {
      const target = loadTarget(file, builtIn);
      for (const name of [target.name, ...target.aliases]) {
        const other = all.find((t) => t.name === name || t.aliases.includes(name));
        if (other) {
          throw new ConfigError(displayPath(file), `target name or alias "${name}" is also used by ${displayPath(other.file)}; names and aliases must be unique across targets/ and every --targets folder`, lineOfField(file, ['name']));
        }
      }
      all.push(target);
    }
  }
  return all;
}

/** What finding a target reads, and all the image builder needs of one (its cache key hashes name and debianArch). */
export type ImageTarget = Pick<Target, 'name' | 'debianArch' | 'aliases'>;

/**
 * How a name is looked up: by target name and alias, and for `kittest build` also by Debian
 * architecture; `noun` is what the error calls it (run, shell and the API say "arch", build "architecture").
 */
interface Lookup {
  readonly byDebianArch: boolean;
  readonly noun: 'arch' | 'architecture';
}

/** The one lookup: the target `name` names; a UsageError listing the known targets if none. */
function resolveTarget<T extends ImageTarget>(targets: readonly T[], name: string, lookup: Lookup): T {
  const found = targets.find((t) => t.name === name || t.aliases.includes(name) || (lookup.byDebianArch && t.debianArch === name));
  if (!found) throw new UsageError(`unknown ${lookup.noun} "${name}" (known: ${targets.map((t) => t.name).join(', ')})`);
  return found;
}

/** Resolve names and aliases given on the command line; unknown names list the valid ones. */
export function selectTargets(all: readonly Target[], names: readonly string[] | undefined): Target[] {
  if (!names || names.length === 0) return all.filter((t) => t.default);
  const picked: Target[] = [];
  for (const wanted of names) {
    if (wanted === 'all') return [...all];
    const target = resolveTarget(all, wanted, { byDebianArch: false, noun: 'arch' });
    if (!picked.includes(target)) picked.push(target);
  }
  return picked;
}

/** Every built-in target (or every target in `dir`), sorted by name: what `kittest build` builds for. */
export function listTargets(dir: string = targetsDir): Target[] {
  return loadTargets(dir).sort((a, b) => a.name.localeCompare(b.name));
}

/** `kittest build`'s lookup: a target name, an alias or a Debian architecture (amd64). */
export function findTarget(name: string, targets: readonly Target[] = listTargets()): Target {
  return resolveTarget(targets, name, { byDebianArch: true, noun: 'architecture' });
}
