import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { depthInRoot, isWithin, joinInRoot } from '../../src/images/root-paths.ts';
import { linkBusyboxApplets, makeSkeleton, removePaths, writeFiles } from '../../src/images/rootfs.ts';

/** A build folder holding `root/` and, beside it, `host/` standing for everything outside the image. */
function buildFolder(): { root: string; host: string } {
  const top = mkdtempSync(join(tmpdir(), 'kittest-root-'));
  mkdirSync(join(top, 'root'));
  mkdirSync(join(top, 'host'));
  return { root: join(top, 'root'), host: join(top, 'host') };
}

test('the depth of a path in the root is -1 as soon as it climbs above the root', (t) => {
  t.is(depthInRoot('/etc/passwd'), 2);
  t.is(depthInRoot('/etc/../usr/./bin'), 2);
  t.is(depthInRoot('/etc/..'), 0);
  t.is(depthInRoot('/../../x'), -1);
  t.is(depthInRoot('a/../../b/c/d'), -1);
  t.is(depthInRoot('usr/lib'), 2);
});

test('a path is within a folder only when no .. leads out of it', (t) => {
  t.true(isWithin('/a/b', '/a/b'));
  t.true(isWithin('/a/b', '/a/b/..c'));
  t.false(isWithin('/a/b', '/a/bc'));
  t.false(isWithin('/a/b', '/a'));
});

test('symlinks in the root are followed inside it, as the guest would, never out of it', (t) => {
  const { root, host } = buildFolder();
  symlinkSync(host, join(root, 'abs'));
  symlinkSync('../../host', join(root, 'rel'));
  symlinkSync('usr/bin', join(root, 'bin'));
  t.is(joinInRoot(root, `/abs/x`), join(root, host, 'x'));
  t.is(joinInRoot(root, '/rel/x'), join(root, 'host', 'x'));
  t.is(joinInRoot(root, '/bin/sh'), join(root, 'usr/bin/sh'));
  t.is(joinInRoot(root, '/abs'), join(root, 'abs'), 'the last segment is the link itself');
  t.is(joinInRoot(root, '/abs', { followLast: true }), join(root, host));
});

test('a symlink loop in the root is an error, not a hang', (t) => {
  const { root } = buildFolder();
  symlinkSync('b', join(root, 'a'));
  symlinkSync('a', join(root, 'b'));
  t.throws(() => joinInRoot(root, '/a/x'), { message: /too many symbolic links/ });
});

test('files written through a symlink in the root land inside the root, not on the host', (t) => {
  const { root, host } = buildFolder();
  writeFiles(root, [
    { path: '/escape', symlink: host },
    { path: '/escape/planted', contents: 'x' },
  ]);
  t.false(existsSync(join(host, 'planted')));
  t.is(readFileSync(join(root, host, 'planted'), 'utf8'), 'x');
  t.is(readlinkSync(join(root, 'escape')), host);
});

test('removals through a symlink in the root never delete host files', (t) => {
  const { root, host } = buildFolder();
  writeFileSync(join(host, 'precious'), 'keep');
  symlinkSync('../../../../../../../../host', join(root, 'up'));
  symlinkSync(host, join(root, 'abs'));
  t.deepEqual(removePaths(root, ['/up/precious', '/abs/precious']), []);
  t.is(readFileSync(join(host, 'precious'), 'utf8'), 'keep');
});

test('the skeleton and applet links stay inside a root whose directories are symlinks out of it', (t) => {
  const { root, host } = buildFolder();
  for (const dir of ['tmp', 'usr', 'etc']) symlinkSync(`../host/${dir}`, join(root, dir));
  makeSkeleton(root, 'container');
  writeFileSync(join(root, 'host/usr/bin/busybox'), Buffer.from('\0[\0[[\0ls\0'));
  linkBusyboxApplets(root);
  t.deepEqual(readdirSync(host), []);
  t.true(existsSync(join(root, 'host/usr/bin/ls')));
  t.true(existsSync(join(root, 'host/etc/hosts')));
});
