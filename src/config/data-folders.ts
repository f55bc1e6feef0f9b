// The folders a vendor adds with --cases or --targets: each must be a readable folder holding at
// least one YAML file (a typo must not silently run the built-ins alone); the built-in folder and
// repeats are left out.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';

const isDataFile = (name: string) => (name.endsWith('.yml') || name.endsWith('.yaml')) && !name.startsWith('.');

/** The data files directly in `dir`, sorted by name. */
export function dataFilesIn(dir: string): string[] {
  return readdirSync(dir).filter(isDataFile).sort().map((f) => join(dir, f));
}

/** Check each folder given with `option` (e.g. --cases); returns them resolved with their files. */
export function vendorFolders(option: string, given: readonly string[] | undefined, builtInDir: string, kind: string): { dir: string; files: string[] }[] {
  const seen = new Set<string>([realOrSame(builtInDir)]);
  const folders: { dir: string; files: string[] }[] = [];
  for (const folder of given ?? []) {
    const dir = resolve(folder);
    const problem = (error: unknown) => `cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    let isFolder: boolean;
    try {
      isFolder = statSync(dir).isDirectory();
    } catch (error) {
      throw new UsageError(`${option} ${folder}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : problem(error)}`);
    }
    if (!isFolder) throw new UsageError(`${option} ${folder}: not a folder`);
    let files: string[];
    try {
      files = dataFilesIn(dir);
    } catch (error) {
      throw new UsageError(`${option} ${folder}: ${problem(error)}`);
    }
    if (files.length === 0) throw new UsageError(`${option} ${folder}: no ${kind} files (*.yml, *.yaml) in it`);
    const real = realOrSame(dir);
    if (seen.has(real)) continue;
    seen.add(real);
    folders.push({ dir, files });
  }
  return folders;
}

/** The real path of `dir`, or `dir` resolved when it cannot be followed. */
export function realOrSame(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}
