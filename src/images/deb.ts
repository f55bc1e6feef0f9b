// Taking files out of .deb packages (dpkg-deb -x) and copying a chosen subset into a root.
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PackageChoice } from './definition.ts';
import { runChecked } from './exec.ts';
import { globToRegExp, matchesAny } from './glob.ts';
import { joinInRoot } from './root-paths.ts';
import { isSymlink } from '../util/file-kind.ts';

/** Files nobody needs at run time: dropped unless an include list asks for them. */
const defaultExcludes = ['usr/share/doc/**', 'usr/share/man/**', 'usr/share/info/**', 'usr/share/locale/**', 'usr/share/lintian/**', 'usr/share/bug/**'].map(globToRegExp);

/** Unpack `deb` into `dest` (created). */
export async function extractDeb(deb: string, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  await runChecked('dpkg-deb', ['-x', deb, dest]);
}

/** Every non-directory path under `dir`, relative, sorted. */
export function listTree(dir: string, prefix = ''): string[] {
  const result: string[] = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const stat = lstatSync(join(dir, rel));
    if (stat.isDirectory()) result.push(...listTree(dir, rel));
    else result.push(rel);
  }
  return result;
}

function relocated(path: string, choice: PackageChoice): string {
  for (const rule of choice.relocate ?? []) {
    const from = rule.from.replace(/\/+$/, '');
    if (path === from) return rule.to.replace(/\/+$/, '');
    if (path.startsWith(`${from}/`)) return `${rule.to.replace(/\/+$/, '')}/${path.slice(from.length + 1)}`;
  }
  return path;
}

/** Copy one file or symlink, replacing what is there. */
function copyEntry(source: string, dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  if (existsSync(dest) || isSymlink(dest)) rmSync(dest, { force: true, recursive: true });
  const stat = lstatSync(source);
  if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), dest);
  else {
    copyFileSync(source, dest);
    chmodSync(dest, stat.mode & 0o7777);
  }
}

/** Copy the files of an extracted package selected by `choice` into `root`; returns the root-relative paths copied. */
export function installPackageFiles(extracted: string, root: string, choice: PackageChoice): string[] {
  const include = choice.include?.map(globToRegExp);
  const copied: string[] = [];
  for (const path of listTree(extracted)) {
    const keep = include ? matchesAny(path, include) : !matchesAny(path, defaultExcludes);
    if (!keep) continue;
    const destPath = relocated(path, choice);
    copyEntry(join(extracted, path), joinInRoot(root, destPath));
    copied.push(destPath);
  }
  return copied;
}
