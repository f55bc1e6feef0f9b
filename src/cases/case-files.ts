// Conformance cases: one YAML file per case under cases/, loaded, validated against the schema the
// check modules assemble, given their checks' defaults, and frozen.
import { caseSchema, settingDefaults } from './case-schema.ts';
import type { AppliesTo } from './check.ts';
import { checkNamed } from './checks/index.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { displayPath, lineOfField, loadYamlFile } from '../config/load-yaml.ts';
import { checkRegexFields, fieldName } from '../config/regex-fields.ts';

export interface CaseDef {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly check: string;
  readonly order: number;
  readonly timeoutMs?: number;
  readonly appliesTo?: AppliesTo;
  /** The check's settings: what the file says, and the check's defaults for the rest. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly file: string;
}

const schema = { key: 'case (assembled from src/cases/checks)', schema: caseSchema() };

/** Load one case file; bad input is a ConfigError naming file:line. */
export function loadCase(file: string): CaseDef {
  const loaded = loadYamlFile<Omit<CaseDef, 'file' | 'settings'> & { settings?: Record<string, unknown> }>(file, schema);
  const module = checkNamed(loaded.check);
  const written = loaded.settings ?? {};
  const problem = module.problems?.(written)[0];
  if (problem) {
    const path = ['settings', ...problem.path];
    throw new ConfigError(displayPath(file), `${fieldName(path)}: ${problem.problem}`, lineOfField(file, path));
  }
  checkRegexFields(
    file,
    (module.regexFields?.(written) ?? []).map((field) => ({ path: ['settings', ...field.path], source: field.source })),
  );
  return Object.freeze({ ...loaded, appliesTo: loaded.appliesTo ?? module.appliesTo, settings: Object.freeze({ ...settingDefaults(module), ...written }), file });
}

/** Cases picked with --case (boot always runs first: every other case needs a booted machine). */
export function selectCases(all: readonly CaseDef[], ids: readonly string[] | undefined): CaseDef[] {
  if (!ids || ids.length === 0) return [...all];
  for (const id of ids) {
    if (!all.some((c) => c.id === id)) throw new UsageError(`unknown case "${id}" (known: ${all.map((c) => c.id).join(', ')})`);
  }
  return all.filter((c) => c.check === 'boot' || ids.includes(c.id));
}

/** Why `def` does not run on this target and format, or undefined when it does. */
export function notApplicable(def: CaseDef, target: string, format: string): string | undefined {
  const where = def.appliesTo;
  if (where?.targets?.length && !where.targets.includes(target)) return `applies to targets ${where.targets.join(', ')} only`;
  if (where?.formats?.length && !where.formats.includes(format)) return `applies to ${where.formats.join(', ')} images only`;
  return undefined;
}
