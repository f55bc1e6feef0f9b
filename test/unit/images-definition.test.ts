import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.ts';
import { loadDefinition, packageFor, referenceDefinition } from '../../src/images/definition.ts';
import { deepMerge, stableJson } from '../../src/images/merge.ts';

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kittest-def-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const minimal = 'name: mini\nsuite: trixie\nkernel:\n  packages: { x86_64: linux-image-cloud-amd64 }\n';

test('the reference definition loads with its defaults applied', (t) => {
  const def = loadDefinition(referenceDefinition);
  t.is(def.name, 'reference');
  t.is(def.format, 'kernel+initrd');
  t.true(def.init.readonlyRoot);
  t.deepEqual(def.init.tmpfs, ['/run', '/tmp', '/var']);
  t.true(def.containerd.start);
  t.deepEqual(def.onboot.map((c) => c.name), ['dhcp']);
  t.deepEqual(def.services.map((c) => c.name).sort(), ['getty', 'rngd']);
  t.true(def.files.some((f) => f.path === '/init' && f.source?.endsWith('images/files/init')));
});

test('a minimal definition gets the documented defaults', (t) => {
  const dir = scratch({ 'mini.yml': minimal });
  const def = loadDefinition(join(dir, 'mini.yml'));
  t.is(def.mirror, 'http://deb.debian.org/debian');
  t.is(def.containerd.namespace, 'services.linuxkit');
  t.deepEqual(def.onboot, []);
  t.deepEqual(def.remove, []);
});

test('an unknown key is reported with its file, line and name', (t) => {
  const dir = scratch({ 'bad.yml': `${minimal}init:\n  readonlyroot: true\n` });
  const error = t.throws(() => loadDefinition(join(dir, 'bad.yml')), { instanceOf: ConfigError });
  t.is(error?.line, 6);
  t.regex(error?.message ?? '', /bad\.yml:6: unknown key "init\.readonlyroot"/);
});

test('a value of the wrong type is reported with the field and line', (t) => {
  const dir = scratch({ 'bad.yml': `${minimal}init:\n  readonlyRoot: yes please\n` });
  const error = t.throws(() => loadDefinition(join(dir, 'bad.yml')), { instanceOf: ConfigError });
  t.is(error?.line, 6);
  t.regex(error?.message ?? '', /init\.readonlyRoot must be boolean/);
});

test('malformed YAML is reported with the line it breaks on', (t) => {
  const dir = scratch({ 'bad.yml': 'name: x\nsuite: [trixie\nkernel: {}\n' });
  const error = t.throws(() => loadDefinition(join(dir, 'bad.yml')), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /bad\.yml:\d+: malformed YAML/);
  t.truthy(error?.line);
});

test('a definition without a kernel is rejected after merging', (t) => {
  const dir = scratch({ 'bad.yml': 'name: x\nsuite: trixie\n' });
  t.throws(() => loadDefinition(join(dir, 'bad.yml')), { instanceOf: ConfigError, message: /kernel\.packages/ });
});

test('a file entry needs exactly one of contents, source and symlink', (t) => {
  const dir = scratch({ 'bad.yml': `${minimal}files:\n  - { path: /etc/x, contents: a, symlink: b }\n` });
  t.throws(() => loadDefinition(join(dir, 'bad.yml')), { instanceOf: ConfigError, message: /exactly one of contents, source, symlink/ });
});

test('extends merges objects key by key and lets arrays replace', (t) => {
  const dir = scratch({
    'base.yml': 'name: base\nsuite: trixie\nkernel:\n  packages: { x86_64: linux-image-cloud-amd64 }\n  modules: [virtio_net, virtio_rng]\n  cmdline: [panic=-1]\ninit:\n  tmpfs: [/run, /tmp]\n',
    'child.yml': 'extends: base.yml\nname: child\nkernel:\n  modules: [virtio_blk]\ninit:\n  readonlyRoot: false\n',
  });
  const def = loadDefinition(join(dir, 'child.yml'));
  t.is(def.name, 'child');
  t.deepEqual(def.kernel.modules, ['virtio_blk']);
  t.deepEqual(def.kernel.cmdline, ['panic=-1']);
  t.deepEqual(def.init.tmpfs, ['/run', '/tmp']);
  t.false(def.init.readonlyRoot);
  t.deepEqual(def.chain.map((f) => f.replace(/^.*\//, '')), ['child.yml', 'base.yml']);
});

test('an extends loop is reported instead of recursing forever', (t) => {
  const dir = scratch({ 'a.yml': 'extends: b.yml\n', 'b.yml': 'extends: a.yml\n' });
  t.throws(() => loadDefinition(join(dir, 'a.yml')), { instanceOf: ConfigError, message: /extends loop/ });
});

test('every broken variant extends the reference and changes one thing', (t) => {
  const reference = loadDefinition(referenceDefinition);
  const variants = ['writable-root', 'no-rngd', 'no-dhcp', 'no-containerd', 'services-on-host', 'no-init'];
  for (const name of variants) {
    const def = loadDefinition(join(referenceDefinition, '..', 'broken', `${name}.yml`));
    t.is(def.name, name);
    t.deepEqual(def.kernel, reference.kernel, `${name} keeps the reference kernel`);
  }
  t.false(loadDefinition(join(referenceDefinition, '..', 'broken', 'writable-root.yml')).init.readonlyRoot);
  t.false(loadDefinition(join(referenceDefinition, '..', 'broken', 'no-containerd.yml')).containerd.start);
  t.deepEqual(loadDefinition(join(referenceDefinition, '..', 'broken', 'no-dhcp.yml')).onboot, []);
});

test('per-target package replacements apply only on their target', (t) => {
  const entry = { name: 'libc6', include: ['a'], targets: { s390x: { name: 'libc6-s390x-cross', include: ['b'] } } };
  t.deepEqual(packageFor(entry, 'x86_64'), { name: 'libc6', include: ['a'] });
  t.deepEqual(packageFor(entry, 's390x'), { name: 'libc6-s390x-cross', include: ['b'] });
  t.deepEqual(packageFor('busybox-static', 's390x'), { name: 'busybox-static' });
});

test('deep merge never modifies its inputs and stable JSON ignores key order', (t) => {
  const base = { a: { b: 1, c: [1, 2] } };
  const merged = deepMerge(base, { a: { c: [3] } });
  t.deepEqual(merged, { a: { b: 1, c: [3] } });
  t.deepEqual(base, { a: { b: 1, c: [1, 2] } });
  t.is(stableJson({ b: 1, a: { d: 2, c: 3 } }), stableJson({ a: { c: 3, d: 2 }, b: 1 }));
});

test('a file path that climbs out of the image root is refused with its file and line', (t) => {
  const dir = scratch({ 'bad.yml': `${minimal}files:\n  - { path: /etc/ok, contents: a }\n  - { path: /../../x, contents: b }\n` });
  const error = t.throws(() => loadDefinition(join(dir, 'bad.yml')), { instanceOf: ConfigError });
  t.is(error?.line, 7);
  t.regex(error?.message ?? '', /bad\.yml:7: files: path "\/\.\.\/\.\.\/x" leaves the image root/);
});

test('a container file path that climbs out of its root is refused too', (t) => {
  const dir = scratch({ 'bad.yml': `${minimal}services:\n  - name: s\n    command: [/x]\n    files:\n      - path: /a/../../../etc/passwd\n        contents: x\n` });
  t.throws(() => loadDefinition(join(dir, 'bad.yml')), { instanceOf: ConfigError, message: /bad\.yml:9: files: path "\/a\/\.\.\/\.\.\/\.\.\/etc\/passwd" leaves the image root/ });
});

test('a file path naming the image root itself is refused', (t) => {
  const dir = scratch({ 'bad.yml': `${minimal}files:\n  - { path: /etc/.., contents: a }\n` });
  t.throws(() => loadDefinition(join(dir, 'bad.yml')), { instanceOf: ConfigError, message: /bad\.yml:6: files: path "\/etc\/\.\." names the image root itself/ });
});

test('a path that goes through .. but stays inside the root is accepted', (t) => {
  const dir = scratch({ 'ok.yml': `${minimal}files:\n  - { path: /etc/../usr/x, contents: a }\nremove: [/usr/share/../lib/x]\n` });
  t.is(loadDefinition(join(dir, 'ok.yml')).files[0]?.path, '/etc/../usr/x');
});

test('a removal that climbs out of the image root is refused with its file and line', (t) => {
  const dir = scratch({ 'bad.yml': `${minimal}remove:\n  - /etc/motd\n  - /../..\n` });
  const error = t.throws(() => loadDefinition(join(dir, 'bad.yml')), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /bad\.yml:7: remove: "\/\.\.\/\.\." leaves the image root/);
});

test('a package relocation that climbs out of the image root is refused, per-target ones included', (t) => {
  const plain = scratch({ 'bad.yml': `${minimal}init:\n  packages:\n    - name: libc6\n      relocate:\n        - { from: usr/lib, to: ../.. }\n` });
  t.throws(() => loadDefinition(join(plain, 'bad.yml')), { instanceOf: ConfigError, message: /bad\.yml:9: package libc6: relocate to "\.\.\/\.\." leaves the image root/ });
  const perTarget = scratch({
    'bad.yml': `${minimal}containerd:\n  packages:\n    - name: libc6\n      targets:\n        s390x:\n          name: libc6-s390x-cross\n          relocate:\n            - from: usr/s390x-linux-gnu/lib\n              to: usr/../../../tmp\n`,
  });
  t.throws(() => loadDefinition(join(perTarget, 'bad.yml')), { instanceOf: ConfigError, message: /bad\.yml:13: package libc6-s390x-cross: relocate to "usr\/\.\.\/\.\.\/\.\.\/tmp" leaves the image root/ });
});

test('a source outside the definition folder is refused unless the entry allows it', (t) => {
  const outside = scratch({ 'secret': 'host file\n' });
  const dir = scratch({
    'bad.yml': `${minimal}files:\n  - { path: /etc/secret, source: ${outside}/secret }\n`,
    'ok.yml': `${minimal}files:\n  - { path: /etc/secret, source: ${outside}/secret, allowOutsideSource: true }\n`,
  });
  t.throws(() => loadDefinition(join(dir, 'bad.yml')), { instanceOf: ConfigError, message: /bad\.yml:6: files: source ".*\/secret" of \/etc\/secret is outside .*; set allowOutsideSource: true/ });
  t.is(loadDefinition(join(dir, 'ok.yml')).files[0]?.source, join(outside, 'secret'));
});

test('a source reached through ../ or a symlink out of the folder is refused', async (t) => {
  const { mkdirSync, symlinkSync } = await import('node:fs');
  const top = scratch({ 'secret': 'host file\n' });
  mkdirSync(join(top, 'defs'));
  writeFileSync(join(top, 'defs', 'dotdot.yml'), `${minimal}files:\n  - { path: /etc/secret, source: ../secret }\n`);
  symlinkSync(top, join(top, 'defs', 'up'));
  writeFileSync(join(top, 'defs', 'link.yml'), `${minimal}files:\n  - { path: /etc/secret, source: up/secret }\n`);
  t.throws(() => loadDefinition(join(top, 'defs', 'dotdot.yml')), { instanceOf: ConfigError, message: /dotdot\.yml:6: files: source "\.\.\/secret" .* is outside/ });
  t.throws(() => loadDefinition(join(top, 'defs', 'link.yml')), { instanceOf: ConfigError, message: /link\.yml:6: files: source "up\/secret" .* is outside/ });
});

test('a definition may copy from the folder of the definition its extends chain ends at', async (t) => {
  const { mkdirSync } = await import('node:fs');
  const top = scratch({ 'base.yml': minimal, 'shared': 'x\n' });
  mkdirSync(join(top, 'variants'));
  writeFileSync(join(top, 'variants', 'middle.yml'), 'extends: ../base.yml\nname: middle\n');
  writeFileSync(join(top, 'variants', 'child.yml'), 'extends: middle.yml\nname: child\nfiles:\n  - { path: /etc/shared, source: ../shared }\n');
  t.is(loadDefinition(join(top, 'variants', 'child.yml')).files[0]?.source, join(top, 'shared'));
});

test('every definition in images/broken loads, copying from images/files without allowOutsideSource', async (t) => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = join(referenceDefinition, '..', 'broken');
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.yml'))) {
    t.false(readFileSync(join(dir, name), 'utf8').includes('allowOutsideSource'), name);
    t.truthy(loadDefinition(join(dir, name)).name, name);
  }
});
