// Regular expressions written in targets and cases, compiled when the file is loaded: a bad one is
// bad input (file:line, exit 2), never a run that fails half-way.
import { ConfigError } from '../errors.ts';
import { displayPath, lineOfField } from './load-yaml.ts';
import { boundedRegex, linearTimeProblem } from '../util/bounded-regex.ts';

/** One regular expression field of a data file: where it is, and its source as written. */
export interface RegexField {
  readonly path: readonly (string | number)[];
  readonly source: string;
  /** A failure pattern: matching the empty line would end every run at its first line. */
  readonly mustNotMatchEmpty?: boolean;
}

/** Why `source` cannot be used as kittest uses it (`new RegExp(source)`), if it cannot. */
export function regexProblem(source: string, mustNotMatchEmpty = false): string | undefined {
  let regex: RegExp;
  try {
    regex = boundedRegex(source);
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`;
  }
  if (mustNotMatchEmpty && regex.test('')) return 'matches an empty line, so every console line would match';
  return linearTimeProblem(source);
}

/** "console.failurePatterns[0]" */
export function fieldName(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
}

/** Compile every field; throws ConfigError naming file:line, the field and the expression for the first bad one. */
export function checkRegexFields(file: string, fields: readonly RegexField[]): void {
  for (const field of fields) {
    const problem = regexProblem(field.source, field.mustNotMatchEmpty);
    if (problem) throw new ConfigError(displayPath(file), `${fieldName(field.path)} ${JSON.stringify(field.source)} ${problem}`, lineOfField(file, field.path));
  }
}
