// A newc ("070701") cpio writer: the initramfs format. Device nodes are written as entries, so no
// mknod is needed; output is reproducible (sorted, fixed mtime, uid/gid 0, identical files hard-linked).
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../util/sha256.ts';

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;

/** One archive member. `data` is file contents or, for a symlink, the link target. */
interface CpioEntry {
  path: string;
  mode: number;
  data?: Buffer;
  rdev?: { major: number; minor: number };
}

/** Streams newc entries to a file descriptor. */
class NewcWriter {
  private ino = 1;
  private offset = 0;
  private readonly links = new Map<string, { ino: number }>();

  constructor(
    private readonly fd: number,
    private readonly mtime = 0,
  ) {}

  private write(buffer: Buffer): void {
    let done = 0;
    while (done < buffer.length) done += writeSync(this.fd, buffer, done);
    this.offset += buffer.length;
  }

  private pad(): void {
    const rest = (4 - (this.offset % 4)) % 4;
    if (rest) this.write(Buffer.alloc(rest));
  }

  private header(name: string, fields: { ino: number; mode: number; nlink: number; size: number; rdevMajor: number; rdevMinor: number }): void {
    const nameBytes = Buffer.from(`${name}\0`, 'utf8');
    const hex = (n: number): string => n.toString(16).padStart(8, '0');
    const text =
      '070701' +
      [fields.ino, fields.mode, 0, 0, fields.nlink, this.mtime, fields.size, 0, 0, fields.rdevMajor, fields.rdevMinor, nameBytes.length, 0].map(hex).join('');
    this.write(Buffer.from(text, 'ascii'));
    this.write(nameBytes);
    this.pad();
  }

  /** Add one entry. `linkKey` groups identical regular files: `nlink` members share an inode, data is written once. */
  add(entry: CpioEntry, link?: { key: string; nlink: number }): void {
    const name = entry.path.replace(/^\/+/, '') || '.';
    let ino: number;
    let data = entry.data ?? Buffer.alloc(0);
    let nlink = (entry.mode & S_IFMT) === S_IFDIR ? 2 : 1;
    if (link && link.nlink > 1) {
      const seen = this.links.get(link.key);
      if (seen) {
        ino = seen.ino;
        data = Buffer.alloc(0);
      } else {
        ino = this.ino++;
        this.links.set(link.key, { ino });
      }
      nlink = link.nlink;
    } else ino = this.ino++;
    this.header(name, { ino, mode: entry.mode, nlink, size: data.length, rdevMajor: entry.rdev?.major ?? 0, rdevMinor: entry.rdev?.minor ?? 0 });
    if (data.length) {
      this.write(data);
      this.pad();
    }
  }

  /** Write the trailer; the caller closes the descriptor. */
  finish(): void {
    this.header('TRAILER!!!', { ino: 0, mode: 0, nlink: 1, size: 0, rdevMajor: 0, rdevMinor: 0 });
    const rest = (512 - (this.offset % 512)) % 512;
    if (rest) this.write(Buffer.alloc(rest));
  }
}

function walk(root: string, rel: string, out: string[]): void {
  for (const name of readdirSync(join(root, rel)).sort()) {
    const child = rel ? `${rel}/${name}` : name;
    out.push(child);
    if (lstatSync(join(root, child)).isDirectory()) walk(root, child, out);
  }
}

/** Archive the tree at `root` (plus `extra` entries such as device nodes) into `outFile`; identical files become hard links. */
export function writeCpioFromTree(root: string, outFile: string, extra: CpioEntry[] = [], mtime = 0): void {
  const paths: string[] = [];
  walk(root, '', paths);
  const hashes = new Map<string, string>();
  const counts = new Map<string, number>();
  for (const path of paths) {
    const stat = lstatSync(join(root, path));
    if (!stat.isFile()) continue;
    const key = `${stat.mode & 0o7777}:${sha256Hex(readFileSync(join(root, path)))}`;
    hashes.set(path, key);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const extraPaths = new Set(extra.map((e) => e.path.replace(/^\/+/, '')));
  const fd = openSync(outFile, 'w');
  try {
    const writer = new NewcWriter(fd, mtime);
    for (const path of paths) {
      if (extraPaths.has(path)) continue;
      const full = join(root, path);
      const stat = lstatSync(full);
      const perm = stat.mode & 0o7777;
      if (stat.isDirectory()) writer.add({ path, mode: S_IFDIR | perm });
      else if (stat.isSymbolicLink()) writer.add({ path, mode: S_IFLNK | 0o777, data: Buffer.from(readlinkSync(full)) });
      else if (stat.isFile()) {
        const key = hashes.get(path)!;
        writer.add({ path, mode: S_IFREG | perm, data: readFileSync(full) }, { key, nlink: counts.get(key)! });
      }
    }
    for (const entry of extra) writer.add(entry);
    writer.finish();
  } finally {
    closeSync(fd);
  }
}
