// Paths given on the command line, checked before anything starts: no control characters (a
// newline would split kittest's one-line messages and reports), and report files and output folders
// that can really be written, so a long matrix or a booted shell never ends in a failed write.
import { accessSync, constants, statfsSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.ts';

/** C0 and C1 control characters and DEL. */
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

/** Refuse a path option holding a control character (newline, tab, escape...), naming the option. */
export function requirePrintablePath(option: string, path: string): void {
  if (controlCharacter.test(path)) {
    throw new UsageError(`${option} ${JSON.stringify(path)} holds a control character; kittest takes no such paths (its output is one line per event)`);
  }
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Refuse, naming the option, a report file that could not be written: a folder, a device, under a file, or in a folder kittest may not write to. Creates nothing. */
export function requireWritableFile(option: string, path: string): void {
  requirePrintablePath(option, path);
  const file = resolve(path);
  const existing = statOf(file);
  if (existing?.isDirectory()) throw new UsageError(`${option} ${path} is a folder; give a file name`);
  // Renaming a finished report over a device or a pipe (/dev/null) would replace it with a plain file.
  if (existing && !existing.isFile()) throw new UsageError(`${option} ${path} is not a regular file; give a file name`);
  // The report is written beside itself and renamed into place; missing folders are created then.
  requireWritableAncestor(option, path, dirname(file));
}

/** Refuse, naming the option, an output folder that could not be made or written to: an existing file, a path under a file, or a place kittest may not write to. Creates nothing. */
export function requireWritableFolder(option: string, path: string): void {
  requirePrintablePath(option, path);
  const dir = resolve(path);
  const existing = statOf(dir);
  if (existing && !existing.isDirectory()) throw new UsageError(`${option} ${path} is not a folder; give a folder name`);
  requireWritableAncestor(option, path, dir);
}

/** Pseudo file systems by their statfs f_type (linux/magic.h): they hold no files, and root may "write" them (access(2) says yes). */
const pseudoFileSystems: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x64626720, 'debugfs'], [0x74726163, 'tracefs'], [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'], [0x73636673, 'securityfs'], [0x6165676c, 'pstore'], [0xcafe4a11, 'bpf'], [0x62656570, 'configfs'],
  [0x1cd1, 'devpts'], [0x19800202, 'mqueue'], [0x958458f6, 'hugetlbfs'], [0x42494e4d, 'binfmt_misc'], [0xf97cff8c, 'selinuxfs'],
  [0x43415d53, 'smackfs'], [0xde5e81e4, 'efivarfs'], [0x65735543, 'fusectl'], [0x6e736673, 'nsfs'],
]);

/** The pseudo file system `dir` is on, if it is on one. */
function pseudoFileSystemOf(dir: string): string | undefined {
  try {
    return pseudoFileSystems.get(Number(statfsSync(dir).type) >>> 0);
  } catch {
    return undefined;
  }
}

/** The nearest existing folder at or above `start` must be a folder kittest may write in (missing ones are made later). */
function requireWritableAncestor(option: string, path: string, start: string): void {
  let dir = start;
  while (!statOf(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!statOf(dir)?.isDirectory()) throw new UsageError(`${option} ${path} cannot be created: ${dir} is not a folder`);
  const pseudo = pseudoFileSystemOf(dir);
  if (pseudo) throw new UsageError(`${option} ${path} cannot be written: ${dir} is on ${pseudo}, a pseudo file system that holds no files`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new UsageError(`${option} ${path} cannot be written: no write access to ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/** Refuse report options that name the same file twice (the last report would replace the others). */
function requireDistinctFiles(options: Readonly<Record<string, string | undefined>>): void {
  const seen = new Map<string, string>();
  for (const [option, path] of Object.entries(options)) {
    if (path === undefined) continue;
    const other = seen.get(resolve(path));
    if (other) throw new UsageError(`${other} and ${option} both name ${path}; give each report its own file`);
    seen.set(resolve(path), option);
  }
}

/** Check every report option (--json, --junit, --html, --summary) before anything runs. */
export function requireReportFiles(files: { readonly json?: string; readonly junit?: string; readonly html?: string; readonly summary?: string }): void {
  const options = { '--json': files.json, '--junit': files.junit, '--html': files.html, '--summary': files.summary };
  for (const [option, path] of Object.entries(options)) if (path !== undefined) requireWritableFile(option, path);
  requireDistinctFiles(options);
}
