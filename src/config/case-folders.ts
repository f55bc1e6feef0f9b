// The folders cases come from: the built-ins (cases/, or KITTEST_CASES in its place) and each
// vendor folder given with --cases. Ids are unique across all of them.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.ts';
import { type CaseDef, loadCase } from './cases.ts';
import { displayPath, lineOfField } from './load-yaml.ts';
import { casesDir, projectRoot } from './paths.ts';

const isCaseFile = (name: string) => (name.endsWith('.yml') || name.endsWith('.yaml')) && !name.startsWith('.');

/** The case files directly in `dir`, sorted by name. */
function caseFilesIn(dir: string): string[] {
  return readdirSync(dir).filter(isCaseFile).sort().map((f) => join(dir, f));
}

/**
 * Check the folders given with --cases: each must be a readable folder holding at least one case
 * file (a typo must not silently run the built-ins alone). Returns them resolved, the built-in
 * folder and repeats left out.
 */
export function vendorCaseFolders(given: readonly string[] | undefined): string[] {
  const seen = new Set<string>([realOrSame(casesDir)]);
  const folders: string[] = [];
  for (const folder of given ?? []) {
    const dir = resolve(folder);
    let isFolder: boolean;
    try {
      isFolder = statSync(dir).isDirectory();
    } catch (error) {
      throw new UsageError(`--cases ${folder}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : `cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`}`);
    }
    if (!isFolder) throw new UsageError(`--cases ${folder}: not a folder`);
    let files: string[];
    try {
      files = caseFilesIn(dir);
    } catch (error) {
      throw new UsageError(`--cases ${folder}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    if (files.length === 0) throw new UsageError(`--cases ${folder}: no case files (*.yml, *.yaml) in it`);
    const real = realOrSame(dir);
    if (seen.has(real)) continue;
    seen.add(real);
    folders.push(dir);
  }
  return folders;
}

function realOrSame(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}

/** "file:line" of a case file's `id:` key, for messages naming where an id is declared. */
function whereId(file: string): string {
  const line = lineOfField(file, ['id']);
  return `${displayPath(file)}${line ? `:${line}` : ''}`;
}

/**
 * Every case of the built-in folder and of the `--cases` folders (checked with vendorCaseFolders
 * first), in run order. Two files declaring one id stop the command with exit 2, naming both.
 */
export function loadAllCases(given?: readonly string[]): CaseDef[] {
  const folders = [casesDir, ...vendorCaseFolders(given)];
  const cases = folders.flatMap((dir) => caseFilesIn(dir).map((file) => loadCase(file)));
  const byId = new Map<string, CaseDef>();
  for (const c of cases) {
    const first = byId.get(c.id);
    if (first) {
      throw new ConfigError(displayPath(c.file), `duplicate case id "${c.id}", also declared at ${whereId(first.file)}; ids must be unique across cases/ and every --cases folder`, lineOfField(c.file, ['id']));
    }
    byId.set(c.id, c);
  }
  return cases.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/** Where a case file lives, as the conformance statement records it: its folder ("cases" for the built-ins) and its name there. */
export function caseFileName(def: CaseDef): { folder: string; path: string } {
  const folder = dirname(def.file);
  const builtIn = realOrSame(folder) === realOrSame(join(projectRoot, 'cases'));
  return { folder: builtIn ? 'cases' : displayPath(folder), path: basename(def.file) };
}
