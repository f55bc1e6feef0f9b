// Read a YAML data file, validate it against its JSON Schema and report problems
// as one line naming file:line and the offending field.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isNode, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { ConfigError } from '../errors.ts';

const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: true });
const validators = new Map<string, ValidateFunction>();

/** A schema file, or a schema assembled in memory (`key` names it in the cache). */
type SchemaSource = string | { readonly key: string; readonly schema: object };

function validatorFor(source: SchemaSource): ValidateFunction {
  const key = typeof source === 'string' ? source : source.key;
  let validate = validators.get(key);
  if (!validate) {
    const schema = typeof source === 'string' ? (JSON.parse(readFileSync(source, 'utf8')) as object) : source.schema;
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

/** A path shown to users: relative to the working directory when that is shorter. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && rel.length < file.length ? rel : file;
}

function lineOf(doc: Document, lines: LineCounter, path: readonly (string | number)[]): number | undefined {
  // Walk up the path until a node with a source range is found.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    if (depth === 0 && doc.contents?.range) return lines.linePos(doc.contents.range[0]).line;
  }
  return undefined;
}

function describe(error: ErrorObject): { path: (string | number)[]; text: string } {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const field = path.length ? path.join('.') : '(top level)';
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      return { path: [...path, key], text: `unknown key "${[...path, key].join('.')}"` };
    }
    case 'required':
      return { path, text: `missing required key "${[...path, (error.params as { missingProperty: string }).missingProperty].join('.')}"` };
    case 'enum':
      return { path, text: `${field} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { path, text: `${field} ${error.message ?? 'is invalid'}` };
  }
}

/** Where a value is in a YAML file: its keys and list indexes from the top. */
export type FieldPath = readonly (string | number)[];

/** `file` parsed with its line positions, or undefined when it cannot be read. */
function parsedWithLines(file: string): { doc: Document; lines: LineCounter } | undefined {
  try {
    const lines = new LineCounter();
    return { doc: parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines }), lines };
  } catch {
    return undefined;
  }
}

/**
 * 1-based line of the value at `path` (keys and indexes) in a YAML file, or of its nearest parent:
 * for problems found after loading. With `exact`, undefined unless the file holds `path` itself.
 */
export function lineOfField(file: string, path: FieldPath, { exact = false }: { exact?: boolean } = {}): number | undefined {
  const parsed = parsedWithLines(file);
  if (!parsed || (exact && !parsed.doc.hasIn(path))) return undefined;
  return lineOf(parsed.doc, parsed.lines, path);
}

/** 1-based line of the first key or value in a YAML file that is exactly `value` (a package or container name, wherever the file lists it). */
export function lineOfValue(file: string, value: string): number | undefined {
  const parsed = parsedWithLines(file);
  let line: number | undefined;
  if (parsed) {
    visit(parsed.doc, {
      Scalar(_key, node) {
        if (String(node.value) !== value || !node.range) return undefined;
        line = parsed.lines.linePos(node.range[0]).line;
        return visit.BREAK;
      },
    });
  }
  return line;
}

/**
 * Turns a parsed file into what the schema validates (e.g. a target merged onto the one it
 * extends); `lineAt` gives the line of a path in the file, for errors it throws.
 */
type YamlPrepare = (data: Record<string, unknown>, lineAt: (path: readonly (string | number)[]) => number | undefined) => unknown;

/** Parse `file` as YAML and validate it with `schemaFile`; throws ConfigError (exit 2) on any problem. */
export function loadYamlFile<T>(file: string, schemaFile: SchemaSource, prepare?: YamlPrepare): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(displayPath(file), `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseYamlText<T>(text, displayPath(file), schemaFile, prepare);
}

/** Same as loadYamlFile for text already in memory (`name` is what errors show). */
function parseYamlText<T>(text: string, name: string, schemaFile: SchemaSource, prepare?: YamlPrepare): T {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? lines.linePos(first.pos[0]).line;
    throw new ConfigError(name, `malformed YAML: ${first.message.split('\n')[0]}`, line);
  }
  const parsed = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (parsed === null || parsed === undefined) throw new ConfigError(name, 'file is empty', 1);
  const data = prepare && typeof parsed === 'object' && !Array.isArray(parsed) ? prepare(parsed as Record<string, unknown>, (path) => lineOf(doc, lines, path)) : parsed;
  const validate = validatorFor(schemaFile);
  if (!validate(data)) {
    const error = validate.errors?.[0];
    if (!error) throw new ConfigError(name, 'does not match its schema');
    const { path, text: detail } = describe(error);
    throw new ConfigError(name, detail, lineOf(doc, lines, path));
  }
  return data as T;
}
