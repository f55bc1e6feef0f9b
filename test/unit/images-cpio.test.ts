import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S_IFCHR, writeCpioFromTree } from '../../src/images/cpio.ts';

function sampleTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'kittest-cpio-'));
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'dev'));
  writeFileSync(join(root, 'usr/bin/tool'), 'binary contents\n');
  chmodSync(join(root, 'usr/bin/tool'), 0o755);
  writeFileSync(join(root, 'copy-a'), 'same bytes');
  writeFileSync(join(root, 'copy-b'), 'same bytes');
  writeFileSync(join(root, 'odd-size'), 'x'.repeat(4097));
  symlinkSync('usr/bin', join(root, 'bin'));
  return root;
}

function archive(root: string): string {
  const out = join(mkdtempSync(join(tmpdir(), 'kittest-cpio-out-')), 'root.cpio');
  writeCpioFromTree(root, out, [{ path: 'dev/console', mode: S_IFCHR | 0o600, rdev: { major: 5, minor: 1 } }]);
  return out;
}

test('the host cpio tool lists every file, link and device node of the archive', (t) => {
  const listing = execFileSync('cpio', ['-itv', '--quiet', '-F', archive(sampleTree())], { encoding: 'utf8' });
  for (const name of ['usr/bin/tool', 'copy-a', 'copy-b', 'odd-size', 'bin -> usr/bin', 'dev/console']) t.true(listing.includes(name), name);
  t.regex(listing, /^crw------- .* 5,\s*1 .* dev\/console$/m);
  t.notRegex(listing, /TRAILER/);
});

test('unpacking with the host cpio tool gives back the same tree', (t) => {
  const root = sampleTree();
  const out = mkdtempSync(join(tmpdir(), 'kittest-cpio-x-'));
  execFileSync('cpio', ['-idm', '--quiet', '-F', archive(root)], { cwd: out });
  t.is(readFileSync(join(out, 'usr/bin/tool'), 'utf8'), 'binary contents\n');
  t.is(statSync(join(out, 'usr/bin/tool')).mode & 0o777, 0o755);
  t.is(readFileSync(join(out, 'odd-size'), 'utf8'), 'x'.repeat(4097));
  t.is(readlinkSync(join(out, 'bin')), 'usr/bin');
  t.true(lstatSync(join(out, 'dev/console')).isCharacterDevice());
  t.is(readFileSync(join(out, 'copy-a'), 'utf8'), 'same bytes');
  t.is(readFileSync(join(out, 'copy-b'), 'utf8'), 'same bytes');
  t.is(statSync(join(out, 'copy-a')).ino, statSync(join(out, 'copy-b')).ino, 'identical files are hard links');
});

test('the archive is byte-for-byte reproducible with fixed mtimes and owners', (t) => {
  const root = sampleTree();
  const first = readFileSync(archive(root));
  const second = readFileSync(archive(root));
  t.true(first.equals(second));
  t.is(first.length % 512, 0);
  const listing = execFileSync('cpio', ['-itv', '--quiet', '-F', archive(root)], { encoding: 'utf8' });
  t.regex(listing, /root\s+root/);
  t.regex(listing, /1970/);
});
