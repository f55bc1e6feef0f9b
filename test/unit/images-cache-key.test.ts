import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheKey } from '../../src/images/cache-key.ts';
import { loadDefinition, referenceDefinition } from '../../src/images/definition.ts';
import type { ImageTarget } from '../../src/images/targets.ts';

const x86: ImageTarget = { name: 'x86_64', debianArch: 'amd64', aliases: [] };
const arm: ImageTarget = { name: 'arm64', debianArch: 'arm64', aliases: [] };
const versions = ['libc6:amd64=2.41-12', 'busybox-static:amd64=1:1.37.0-6'];

test('the cache key is stable for the same inputs', (t) => {
  const a = cacheKey(loadDefinition(referenceDefinition), x86, versions);
  const b = cacheKey(loadDefinition(referenceDefinition), x86, [...versions].reverse());
  t.is(a, b);
  t.regex(a, /^[0-9a-f]{64}$/);
});

test('the cache key changes with the target, a package version or the definition', (t) => {
  const def = loadDefinition(referenceDefinition);
  const base = cacheKey(def, x86, versions);
  t.not(cacheKey(def, arm, versions), base);
  t.not(cacheKey(def, x86, ['libc6:amd64=2.41-13', versions[1]!]), base);
  t.not(cacheKey({ ...def, init: { ...def.init, readonlyRoot: false } }, x86, versions), base);
});

test('the cache key follows the contents of source files, not their location', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kittest-key-'));
  const kernel = 'suite: trixie\nkernel:\n  packages: { x86_64: linux-image-cloud-amd64 }\n';
  writeFileSync(join(dir, 'init'), '#!/bin/sh\necho one\n');
  writeFileSync(join(dir, 'a.yml'), `name: a\n${kernel}files:\n  - { path: /init, source: init }\n`);
  const first = cacheKey(loadDefinition(join(dir, 'a.yml')), x86, versions);
  writeFileSync(join(dir, 'init'), '#!/bin/sh\necho two\n');
  const second = cacheKey(loadDefinition(join(dir, 'a.yml')), x86, versions);
  t.not(first, second);
  const other = mkdtempSync(join(tmpdir(), 'kittest-key-'));
  writeFileSync(join(other, 'init'), '#!/bin/sh\necho two\n');
  writeFileSync(join(other, 'a.yml'), `name: a\n${kernel}files:\n  - { path: /init, source: init }\n`);
  t.is(cacheKey(loadDefinition(join(other, 'a.yml')), x86, versions), second);
});
