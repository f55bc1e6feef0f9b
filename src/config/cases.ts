// Conformance cases: one YAML file per case under cases/, loaded, validated and frozen.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { loadYamlFile } from './load-yaml.ts';
import { casesDir, schemaFiles } from './paths.ts';
import { checkRegexFields } from './regex-fields.ts';

export interface CaseSettings {
  readonly namespace?: string;
  readonly interface?: string;
  readonly address?: string;
  readonly gateway?: string;
  readonly routeRequired?: boolean;
  readonly clientNames?: readonly string[];
  readonly processNames?: readonly string[];
  readonly hwrng?: string;
  readonly sources?: readonly string[];
  readonly sampleGapMs?: number;
  readonly socket?: string;
  readonly paths?: readonly string[];
  readonly settleMs?: number;
}

export interface CaseDef {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly check: string;
  readonly order: number;
  readonly timeoutMs?: number;
  readonly settings: CaseSettings;
  readonly file: string;
}

const schemaFile = schemaFiles.case;

/** Every case under `dir`, in run order. */
export function loadCases(dir = casesDir): CaseDef[] {
  const cases = readdirSync(dir)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .map((f) => {
      const file = join(dir, f);
      const loaded = loadYamlFile<Omit<CaseDef, 'file'>>(file, schemaFile);
      if (loaded.settings?.hwrng !== undefined) checkRegexFields(file, [{ path: ['settings', 'hwrng'], source: loaded.settings.hwrng }]);
      return Object.freeze({ ...loaded, file });
    });
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new UsageError(`${c.file}: duplicate case id "${c.id}"`);
    seen.add(c.id);
  }
  return cases.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/** Cases picked with --case (boot always runs first: every other case needs a booted machine). */
export function selectCases(all: readonly CaseDef[], ids: readonly string[] | undefined): CaseDef[] {
  if (!ids || ids.length === 0) return [...all];
  for (const id of ids) {
    if (!all.some((c) => c.id === id)) throw new UsageError(`unknown case "${id}" (known: ${all.map((c) => c.id).join(', ')})`);
  }
  return all.filter((c) => c.check === 'boot' || ids.includes(c.id));
}
