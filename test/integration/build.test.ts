import test from 'ava';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureImage } from '../../src/images/builder.ts';
import { cacheDir } from '../../src/config/paths.ts';
import { ConfigError } from '../../src/errors.ts';
import { referenceDefinition } from '../../src/images/definition.ts';
import type { ImageManifest } from '../../src/images/manifest.ts';

// A real build of the x86_64 reference image (downloads ~80 MB from deb.debian.org the first time).

test.serial('the x86_64 reference image builds with a kernel, an initrd, a cmdline and a manifest', async (t) => {
  const image = await ensureImage(referenceDefinition, 'x86_64');
  t.is(image.target, 'x86_64');
  for (const suffix of ['-kernel', '-initrd.img', '-cmdline']) t.true(existsSync(`${image.prefix}${suffix}`), suffix);
  t.true(image.prefix.startsWith(join(cacheDir(), 'images', 'x86_64')));
  const manifest = JSON.parse(readFileSync(image.manifestPath, 'utf8')) as ImageManifest;
  t.is(manifest.target, 'x86_64');
  t.is(manifest.debianArch, 'amd64');
  t.is(manifest.compression, 'lz4');
  t.is(manifest.rootCompression, 'zstd');
  t.regex(manifest.kernelVersion, /^6\.12\./);
  for (const name of ['busybox-static', 'containerd', 'runc', 'libc6', 'rng-tools5']) t.true(manifest.packages.some((p) => p.name === name), name);
  for (const output of Object.values(manifest.outputs)) {
    const file = join(dirname(image.manifestPath), output.file);
    t.is(statSync(file).size, output.size, output.file);
    t.is(createHash('sha256').update(readFileSync(file)).digest('hex'), output.sha256, output.file);
  }
  t.is(image.sizeBytes, manifest.outputs.kernel!.size + manifest.outputs.initrd!.size);
  t.notRegex(readFileSync(`${image.prefix}-cmdline`, 'utf8'), /console=/);
});

test.serial('the initramfs holds init, the container bundles and the device nodes', async (t) => {
  const image = await ensureImage(referenceDefinition, 'x86_64');
  const listing = execFileSync('sh', ['-c', `lz4 -dc '${image.prefix}-initrd.img' | cpio -itv --quiet`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  for (const path of ['init', 'etc/kittest/boot.sh', 'usr/bin/containerd', 'usr/bin/ctr', 'usr/sbin/runc', 'containers/onboot/000-dhcp/config.json', 'containers/services/rngd/rootfs/usr/sbin/rngd', 'containers/services/getty/rootfs/usr/bin/busybox']) {
    t.regex(listing, new RegExp(` ${path.replace(/[.]/g, '\\.')}$`, 'm'), path);
  }
  t.regex(listing, /^crw------- .* 5,\s*1 .* dev\/console$/m);
  t.regex(listing, /^crw-rw-rw- .* 1,\s*3 .* dev\/null$/m);
});

test.serial('a second build comes from the cache quickly and downloads nothing', async (t) => {
  const first = await ensureImage(referenceDefinition, 'x86_64');
  const debs = readdirSync(join(cacheDir(), 'apt', 'debs')).length;
  const lines: string[] = [];
  const started = Date.now();
  const second = await ensureImage(referenceDefinition, 'x86_64', (line) => lines.push(line));
  t.true(second.cached);
  t.is(second.prefix, first.prefix);
  t.true(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  t.deepEqual(lines.filter((l) => l.startsWith('downloading')), []);
  t.is(readdirSync(join(cacheDir(), 'apt', 'debs')).length, debs);
});

test.serial('an unknown package is a configuration error naming the package, architecture and file', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'kittest-bad-'));
  writeFileSync(join(dir, 'bad.yml'), `extends: ${referenceDefinition}\nname: bad\ninit:\n  packages: [busybox-static, no-such-package-kittest]\n`);
  const error = await t.throwsAsync(ensureImage(join(dir, 'bad.yml'), 'x86_64'), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /bad\.yml:4: unknown Debian package no-such-package-kittest for amd64 in .*bad\.yml/);
  t.false(readdirSync(join(cacheDir(), 'images', 'x86_64')).some((d) => d.startsWith('bad-')));
});
