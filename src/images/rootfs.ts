// Root filesystem assembly: merged-/usr skeleton, mount points, busybox applet links, files, removals.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FileSpec } from './definition.ts';
import { joinInRoot } from './root-paths.ts';
import { isSymlink } from '../util/file-kind.ts';

/** Mount points a container root needs (its root is read-only, so runc cannot create them). */
const containerDirs = ['dev', 'proc', 'sys', 'run', 'tmp', 'etc', 'root', 'var'];
const containerFiles = ['etc/hosts', 'etc/resolv.conf'];
/** Busybox applets never linked: the kernel would run them as a fallback init. */
const appletsNotLinked = new Set(['init', 'linuxrc']);

/** Create the merged-/usr layout (bin -> usr/bin, ...) and the standard directories (all inside `root`, whatever symlinks it holds). */
export function makeSkeleton(root: string, kind: 'host' | 'container'): void {
  const dir = (path: string) => joinInRoot(root, path, { followLast: true });
  for (const path of ['usr/bin', 'usr/sbin', 'usr/lib', 'usr/local/bin']) mkdirSync(dir(path), { recursive: true });
  for (const [link, target] of [['bin', 'usr/bin'], ['sbin', 'usr/sbin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64']] as const) {
    if (!existsSync(join(root, link)) && !isSymlink(join(root, link))) symlinkSync(target, join(root, link));
  }
  for (const path of containerDirs) mkdirSync(dir(path), { recursive: true });
  if (kind === 'host') {
    for (const path of ['newroot', 'containers', 'mnt', 'var/log']) mkdirSync(dir(path), { recursive: true });
  } else {
    for (const file of containerFiles.map((f) => joinInRoot(root, f))) if (!existsSync(file) && !isSymlink(file)) writeFileSync(file, '');
  }
  chmodSync(dir('tmp'), 0o1777);
  chmodSync(dir('root'), 0o700);
}

/** Applet names compiled into a busybox binary (read from its packed name table, so any architecture works). */
export function busyboxApplets(binary: Buffer): string[] {
  const start = binary.indexOf(Buffer.from('[\0[[\0', 'latin1'));
  if (start < 0) return [];
  const names: string[] = [];
  let offset = start;
  while (offset < binary.length) {
    const end = binary.indexOf(0, offset);
    const name = binary.toString('latin1', offset, end);
    if (!/^[a-z0-9_.[\]-]+$/.test(name)) break;
    names.push(name);
    offset = end + 1;
  }
  return names;
}

/** Link every busybox applet into usr/bin unless a real program of that name exists; returns how many. */
export function linkBusyboxApplets(root: string): number {
  const busybox = joinInRoot(root, 'usr/bin/busybox', { followLast: true });
  if (!existsSync(busybox)) return 0;
  let count = 0;
  for (const applet of busyboxApplets(readFileSync(busybox))) {
    if (applet === 'busybox' || applet.includes('[') || appletsNotLinked.has(applet)) {
      if (applet === '[' || applet === '[[') symlinkIfFree(root, applet);
      continue;
    }
    if (symlinkIfFree(root, applet)) count++;
  }
  return count;
}

function symlinkIfFree(root: string, applet: string): boolean {
  const candidates = ['usr/bin', 'usr/sbin', 'usr/local/bin'].map((d) => joinInRoot(root, `${d}/${applet}`));
  if (candidates.some((p) => existsSync(p) || isSymlink(p))) return false;
  symlinkSync('busybox', candidates[0]!);
  return true;
}

/** Write the definition's files (contents, copies of sources, symlinks) into `root`. */
export function writeFiles(root: string, files: readonly FileSpec[]): void {
  for (const file of files) {
    const dest = joinInRoot(root, file.path);
    mkdirSync(dirname(dest), { recursive: true });
    if (existsSync(dest) || isSymlink(dest)) rmSync(dest, { recursive: true, force: true });
    if (file.symlink !== undefined) {
      symlinkSync(file.symlink, dest);
      continue;
    }
    if (file.source !== undefined) copyFileSync(file.source, dest);
    else writeFileSync(dest, file.contents ?? '');
    const defaultMode = file.source !== undefined && statSync(file.source).mode & 0o111 ? 0o755 : 0o644;
    chmodSync(dest, file.mode ? parseInt(file.mode, 8) : defaultMode);
  }
}

/** Delete paths (absolute in the image) from `root`; returns those that existed. */
export function removePaths(root: string, paths: readonly string[]): string[] {
  const removed: string[] = [];
  for (const path of paths) {
    const full = joinInRoot(root, path);
    if (existsSync(full) || isSymlink(full)) {
      rmSync(full, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}
