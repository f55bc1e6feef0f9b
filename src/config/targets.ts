// Targets: one YAML file per machine under targets/, loaded, validated and frozen.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, UsageError } from '../errors.ts';
import type { BootFormat } from '../images/boot-files.ts';
import { displayPath, lineOfField, loadYamlFile } from './load-yaml.ts';
import { lineContaining } from '../images/definition.ts';
import { schemaFiles, targetsDir } from './paths.ts';
import { qemuBinaryProblem, qemuSettingProblems } from './qemu-safety.ts';
import { checkRegexFields, type RegexField } from './regex-fields.ts';

export interface Target {
  readonly name: string;
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
  readonly timeouts: { readonly bootMs: number; readonly commandMs: number; readonly silenceMs?: number };
  /** File the target was read from. */
  readonly file: string;
}

const schemaFile = schemaFiles.target;

/** Load one target file (validated; defaults filled in). */
export function loadTarget(file: string): Target {
  const raw = loadYamlFile<Omit<Target, 'file' | 'kernelArch' | 'aliases'> & { kernelArch?: string; aliases?: string[] }>(file, schemaFile);
  const efiFormat = raw.formats.find((f) => f.endsWith('-efi'));
  if (efiFormat && !raw.efi) {
    throw new ConfigError(displayPath(file), `formats lists ${efiFormat} but there is no efi firmware (efi: code, vars, package)`, lineContaining(file, efiFormat));
  }
  checkRegexFields(file, regexFields(raw.console));
  const notQemu = qemuBinaryProblem(raw.qemu.binary);
  if (notQemu) throw new ConfigError(displayPath(file), notQemu, lineOfField(file, ['qemu', 'binary']));
  const [unsafe] = raw.qemu.unsafe ? [] : qemuSettingProblems(raw.qemu);
  if (unsafe) throw new ConfigError(displayPath(file), `${unsafe.text}; a target may do that only with qemu.unsafe: { reason: "..." }`, lineOfField(file, unsafe.path));
  return Object.freeze({ ...raw, aliases: raw.aliases ?? [], kernelArch: raw.kernelArch ?? raw.name, file });
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

/** Every target under `dir`, sorted by name. */
export function loadTargets(dir = targetsDir): Target[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort()
    .map((f) => loadTarget(join(dir, f)));
}

/** Resolve names and aliases given on the command line; unknown names list the valid ones. */
export function selectTargets(all: readonly Target[], names: readonly string[] | undefined): Target[] {
  if (!names || names.length === 0) return all.filter((t) => t.default);
  const picked: Target[] = [];
  for (const wanted of names) {
    if (wanted === 'all') return [...all];
    const target = all.find((t) => t.name === wanted || t.aliases.includes(wanted));
    if (!target) {
      throw new UsageError(`unknown arch "${wanted}" (known: ${all.map((t) => t.name).join(', ')})`);
    }
    if (!picked.includes(target)) picked.push(target);
  }
  return picked;
}
