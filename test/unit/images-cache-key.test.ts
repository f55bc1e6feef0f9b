import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builderVersion, cacheKey, ciCacheKey } from '../../src/images/cache-key.ts';
import type { DebCandidate } from '../../src/images/apt.ts';
import { loadDefinition, referenceDefinition } from '../../src/images/definition.ts';
import { fetchedBefore, newestSelection, type PackagePlan, recordFetched, selectionLines } from '../../src/images/packages.ts';
import type { ImageTarget } from '../../src/config/targets.ts';

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

const deb = (name: string, version: string, sha = `${name}-${version}`.padEnd(64, '0').slice(0, 64)): DebCandidate => ({
  name,
  version,
  arch: 'amd64',
  filename: `pool/main/${name}_${version}_amd64.deb`,
  sha256: sha,
  size: 1000,
  depends: '',
  baseUrl: 'http://deb.debian.org/debian',
});

/** A plan where runc has a newer version in the index than the one the archive may still serve. */
function plan(): PackagePlan {
  const meta = deb('linux-image-cloud-amd64', '6.12.118-1');
  return {
    packages: new Map([
      ['runc', { name: 'runc', suite: 'trixie', candidates: [deb('runc', '1.1.15+ds1-2+deb13u1'), deb('runc', '1.1.15+ds1-2+b4')] }],
      ['libc6', { name: 'libc6', suite: 'trixie', candidates: [deb('libc6', '2.41-12')] }],
    ]),
    kernel: { requested: meta.name, suite: 'trixie', options: [{ meta, image: [deb('linux-image-6.12.118-cloud-amd64', '6.12.118-1')] }] },
  };
}

test('the cache key follows the .debs actually fetched: a fallback to an older version changes it', (t) => {
  const def = loadDefinition(referenceDefinition);
  const newest = newestSelection(plan());
  t.deepEqual(selectionLines(newest), [
    `kernel linux-image-6.12.118-cloud-amd64:amd64=6.12.118-1 sha256:${deb('linux-image-6.12.118-cloud-amd64', '6.12.118-1').sha256}`,
    `libc6:amd64=2.41-12 sha256:${deb('libc6', '2.41-12').sha256}`,
    `linux-image-cloud-amd64:amd64=6.12.118-1 sha256:${deb('linux-image-cloud-amd64', '6.12.118-1').sha256}`,
    `runc:amd64=1.1.15+ds1-2+deb13u1 sha256:${deb('runc', '1.1.15+ds1-2+deb13u1').sha256}`,
  ]);
  // The archive answered 404 for the newest runc, so fetchPackages took the older one.
  const fellBack = { ...newest, packages: new Map([...newest.packages, ['runc', { candidate: deb('runc', '1.1.15+ds1-2+b4') }]]) };
  t.not(cacheKey(def, x86, selectionLines(fellBack)), cacheKey(def, x86, selectionLines(newest)));
  // The same version with another sha256 (a rebuilt .deb) is another input too.
  const rebuilt = { ...newest, packages: new Map([...newest.packages, ['runc', { candidate: deb('runc', '1.1.15+ds1-2+deb13u1', 'f'.repeat(64)) }]]) };
  t.not(cacheKey(def, x86, selectionLines(rebuilt)), cacheKey(def, x86, selectionLines(newest)));
});

test.serial('what was fetched for a plan is remembered for that plan only', (t) => {
  const saved = process.env.KITTEST_CACHE;
  process.env.KITTEST_CACHE = mkdtempSync(join(tmpdir(), 'kittest-cache-'));
  try {
    t.is(fetchedBefore(plan()), undefined);
    const lines = ['runc:amd64=1.1.15+ds1-2+b4 sha256:x', 'kernel linux-image-6.12.118-cloud-amd64:amd64=6.12.118-1 sha256:y'];
    recordFetched(plan(), lines);
    t.deepEqual(fetchedBefore(plan()), lines);
    const refreshed = plan();
    refreshed.packages.get('libc6')!.candidates.unshift(deb('libc6', '2.41-13'));
    t.is(fetchedBefore(refreshed), undefined);
  } finally {
    if (saved === undefined) delete process.env.KITTEST_CACHE;
    else process.env.KITTEST_CACHE = saved;
  }
});

test('the CI cache key names the builder version and changes with the definition and the targets, not their order', (t) => {
  const def = loadDefinition(referenceDefinition);
  const key = ciCacheKey(def, [x86, arm]);
  t.regex(key, new RegExp(`^kittest-images-v${builderVersion}-[0-9a-f]{20}$`));
  t.is(ciCacheKey(loadDefinition(referenceDefinition), [arm, x86]), key);
  t.not(ciCacheKey(def, [x86]), key);
  t.not(ciCacheKey({ ...def, name: `${def.name}-other` }, [x86, arm]), key);
});
