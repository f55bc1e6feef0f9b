// The folders cases come from: the built-ins (cases/, or KITTEST_CASES in its place) and each
// vendor folder given with --cases. Ids are unique across all of them.
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../errors.ts';
import { dataFilesIn, realOrSame, vendorFolders } from '../config/data-folders.ts';
import { type CaseDef, loadCase } from './case-files.ts';
import { displayPath, lineOfField } from '../config/load-yaml.ts';
import { casesDir, projectRoot } from '../config/paths.ts';

/**
 * Check the folders given with --cases (see vendorFolders). Returns them resolved, the built-in
 * folder and repeats left out.
 */
function vendorCaseFolders(given: readonly string[] | undefined): string[] {
  return vendorFolders('--cases', given, casesDir, 'case').map((f) => f.dir);
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
  const cases = folders.flatMap((dir) => dataFilesIn(dir).map((file) => loadCase(file)));
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
