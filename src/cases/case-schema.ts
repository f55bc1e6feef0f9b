// The case schema, assembled from the check modules: each check's settings are allowed only in a
// case that names that check, so a setting the check does not read is an error at file:line.
// cases/case.schema.json is this schema written out for editors (a unit test keeps it equal).
import type { CheckModule, JsonSchema } from './check.ts';
import { checkModules } from './checks/index.ts';

/** What the schema needs of a check (its judge's settings type does not matter here). */
type SettingsOf = Pick<CheckModule, 'settings' | 'settles'>;

const settleMs: JsonSchema = {
  type: 'integer',
  minimum: 0,
  default: 0,
  description: 'How long to keep retrying while services are still starting (the cases are judged side by side, so their windows overlap).',
};

/** Every setting a case with this check may set. */
export function settingsSchemaOf(module: SettingsOf): Record<string, JsonSchema> {
  return { ...module.settings, ...(module.settles ? { settleMs } : {}) };
}

/** The defaults of a check's settings (those with a `default`). */
export function settingDefaults(module: SettingsOf): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settingsSchemaOf(module))
      .filter(([, schema]) => 'default' in schema)
      .map(([key, schema]) => [key, structuredClone(schema.default)]),
  );
}

const names = (what: string) => ({ type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: what });

export function caseSchema(modules: readonly Pick<CheckModule, 'name' | 'summary' | 'settings' | 'settles'>[] = checkModules): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'kittest conformance case',
    description:
      'One conformance case: a stable id, what it claims, which built-in check judges it, and that check\'s settings. Generated from src/cases/checks/ by `npm run schema`: edit the check modules, not this file.',
    type: 'object',
    additionalProperties: false,
    required: ['id', 'title', 'description', 'check'],
    properties: {
      id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Stable id used in every report and by --case.' },
      title: { type: 'string', description: 'One line shown by `kittest list cases` and in reports.' },
      description: { type: 'string', description: 'What the case proves and how it is judged.' },
      check: {
        type: 'string',
        enum: modules.map((m) => m.name),
        description: `Built-in check that judges the case (src/cases/checks/): ${modules.map((m) => `${m.name}: ${m.summary}`).join('; ')}.`,
      },
      order: {
        type: 'integer',
        default: 100,
        description: 'Cases are judged side by side on one booted machine; when their scripts go to the guest together, they run in ascending order.',
      },
      timeoutMs: { type: 'integer', minimum: 100, description: "Deadline for the whole case; defaults to the target's commandMs plus settleMs." },
      appliesTo: {
        type: 'object',
        additionalProperties: false,
        description: 'Where the case runs; elsewhere it is skipped with that reason. Absent: everywhere.',
        properties: { targets: names('Target names the case runs on.'), formats: names('Image formats the case runs on.') },
      },
      settings: { type: 'object', description: "Settings of the check; which keys are allowed depends on `check`." },
    },
    allOf: modules.map((m) => ({
      if: { type: 'object', properties: { check: { const: m.name } }, required: ['check'] },
      then: { properties: { settings: { type: 'object', additionalProperties: false, properties: settingsSchemaOf(m) } } },
    })),
  };
}
