// Reading a newc ("070701") cpio archive, the counterpart of ../cpio.ts: the squashfs and erofs
// roots are made from the reference initramfs, so its members are unpacked again here.
import { chmodSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../cpio.ts';

/** One member as read back: `data` holds file contents or a symlink's target. */
export interface CpioMember {
  path: string;
  mode: number;
  ino: number;
  nlink: number;
  data: Buffer;
  rdev: { major: number; minor: number };
}

/** Every member of a newc archive (TRAILER!!! ends it); throws on a damaged header. */
export function readNewc(archive: Buffer): CpioMember[] {
  const members: CpioMember[] = [];
  const align = (n: number): number => (n + 3) & ~3;
  let offset = 0;
  while (offset + 110 <= archive.length) {
    const magic = archive.toString('ascii', offset, offset + 6);
    if (magic !== '070701' && magic !== '070702') throw new Error(`not a newc cpio archive: bad magic "${magic}" at byte ${offset}`);
    const field = (i: number): number => parseInt(archive.toString('ascii', offset + 6 + i * 8, offset + 14 + i * 8), 16);
    const [ino, mode, , , nlink, , size, , , rdevMajor, rdevMinor, nameSize] = Array.from({ length: 12 }, (_, i) => field(i)) as number[];
    const nameStart = offset + 110;
    const path = archive.toString('utf8', nameStart, nameStart + nameSize! - 1);
    const dataStart = align(nameStart + nameSize!);
    if (path === 'TRAILER!!!') return members;
    if (dataStart + size! > archive.length) throw new Error(`truncated cpio archive: ${path} runs past the end`);
    members.push({ path, mode: mode!, ino: ino!, nlink: nlink!, data: archive.subarray(dataStart, dataStart + size!), rdev: { major: rdevMajor!, minor: rdevMinor! } });
    offset = align(dataStart + size!);
  }
  throw new Error('truncated cpio archive: no TRAILER!!! entry');
}

/** Write `members` under `dest`. Hard links are restored whichever member of a group carries
 *  the data (our writer puts it first, GNU cpio last). Device nodes are returned, not created:
 *  the caller decides (mknod needs root; mksquashfs can take them as pseudo definitions). */
export function unpackMembers(members: readonly CpioMember[], dest: string): CpioMember[] {
  const devices: CpioMember[] = [];
  const linkGroups = new Map<number, { first: string; written: boolean }>();
  const dirModes: [string, number][] = [];
  for (const member of members) {
    const rel = normalize(member.path).replace(/^(\.\/|\/)+/, '');
    if (rel === '.' || rel === '' ) continue;
    if (rel.startsWith('..')) throw new Error(`cpio member ${member.path} points outside the archive root`);
    const full = join(dest, rel);
    const type = member.mode & S_IFMT;
    const perm = member.mode & 0o7777;
    if (type === S_IFDIR) {
      mkdirSync(full, { recursive: true });
      dirModes.push([full, perm]);
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    if (type === S_IFLNK) symlinkSync(member.data.toString('utf8'), full);
    else if (type === S_IFREG) {
      const group = member.nlink > 1 ? linkGroups.get(member.ino) : undefined;
      if (group) {
        linkSync(group.first, full);
        if (member.data.length && !group.written) {
          writeFileSync(group.first, member.data);
          group.written = true;
        }
      } else {
        writeFileSync(full, member.data);
        chmodSync(full, perm);
        if (member.nlink > 1) linkGroups.set(member.ino, { first: full, written: member.data.length > 0 });
      }
    } else if (type === S_IFCHR || type === 0o060000) devices.push({ ...member, path: rel });
  }
  // Directory modes last: a read-only directory must not stop its own members being written.
  for (const [dir, perm] of dirModes.reverse()) chmodSync(dir, perm);
  return devices;
}
