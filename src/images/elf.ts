// Reading what an ELF file needs at run time (PT_INTERP, DT_NEEDED) and checking a root provides it.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { listTree } from './deb.ts';

interface ElfNeeds {
  interpreter?: string;
  needed: string[];
}

/** Interpreter and NEEDED libraries of an ELF executable or shared object; null for non-ELF or relocatable files. */
export function readElfNeeds(data: Buffer): ElfNeeds | null {
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46) return null;
  const is64 = data[4] === 2;
  const le = data[5] === 1;
  const u16 = (o: number): number => (le ? data.readUInt16LE(o) : data.readUInt16BE(o));
  const u32 = (o: number): number => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const word = (o: number): number => (is64 ? Number(le ? data.readBigUInt64LE(o) : data.readBigUInt64BE(o)) : u32(o));
  const type = u16(16);
  if (type !== 2 && type !== 3) return null;
  const phoff = word(is64 ? 32 : 28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let interpreter: string | undefined;
  let dynamic: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (p + phentsize > data.length) break;
    const ptype = u32(p);
    const offset = word(p + (is64 ? 8 : 4));
    const vaddr = word(p + (is64 ? 16 : 8));
    const filesz = word(p + (is64 ? 32 : 16));
    if (ptype === 1) loads.push({ vaddr, offset, filesz });
    if (ptype === 3) interpreter = data.toString('latin1', offset, offset + filesz).replace(/\0.*$/s, '');
    if (ptype === 2) dynamic = { offset, size: filesz };
  }
  const needed: string[] = [];
  if (dynamic) {
    const entSize = is64 ? 16 : 8;
    const neededOffsets: number[] = [];
    let strtab = -1;
    for (let o = dynamic.offset; o + entSize <= dynamic.offset + dynamic.size; o += entSize) {
      const tag = word(o);
      const value = word(o + (is64 ? 8 : 4));
      if (tag === 0) break;
      if (tag === 1) neededOffsets.push(value);
      if (tag === 5) strtab = value;
    }
    const load = loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.filesz);
    if (load) {
      const base = strtab - load.vaddr + load.offset;
      for (const n of neededOffsets) needed.push(data.toString('latin1', base + n, data.indexOf(0, base + n)));
    }
  }
  return { ...(interpreter ? { interpreter } : {}), needed };
}

/** Resolve `path` (absolute, inside the image) within `root`, following symlinks as the guest would; null if missing. */
function resolveInRoot(root: string, path: string, depth = 0): string | null {
  if (depth > 40) return null;
  const parts = path.split('/').filter(Boolean);
  let current = '/';
  for (let i = 0; i < parts.length; i++) {
    const next = posix.join(current, parts[i]!);
    let stat;
    try {
      stat = lstatSync(root + next);
    } catch {
      return null;
    }
    if (stat.isSymbolicLink()) {
      const link = readlinkSync(root + next);
      const target = link.startsWith('/') ? link : posix.join(current, link);
      const resolved = resolveInRoot(root, target, depth + 1);
      if (resolved === null) return null;
      current = resolved;
    } else current = next;
  }
  return current;
}

function libraryDirs(root: string): string[] {
  const dirs = ['/usr/lib64', '/usr/lib', '/lib64', '/lib'];
  const usrLib = resolveInRoot(root, '/usr/lib');
  if (usrLib) {
    for (const name of readdirSync(root + usrLib)) if (/-linux-gnu/.test(name)) dirs.unshift(`/usr/lib/${name}`);
  }
  return dirs;
}

/** Problems ("FILE needs LIB, which is not in the root") for every ELF file under `root` (skipping `skip` subtrees). */
export function checkLibraries(root: string, skip: readonly string[] = []): string[] {
  const problems: string[] = [];
  const dirs = libraryDirs(root);
  for (const rel of listTree(root)) {
    if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue;
    const stat = lstatSync(`${root}/${rel}`);
    if (!stat.isFile() || stat.size < 64) continue;
    const needs = readElfNeeds(readFileSync(`${root}/${rel}`));
    if (!needs) continue;
    if (needs.interpreter && !resolveInRoot(root, needs.interpreter)) problems.push(`/${rel} needs its loader ${needs.interpreter}, which is not in the root`);
    for (const lib of needs.needed) {
      if (!dirs.some((dir) => resolveInRoot(root, `${dir}/${lib}`))) problems.push(`/${rel} needs ${lib}, which is not in the root`);
    }
  }
  return problems;
}
