import test from 'ava';
import { join } from 'node:path';
import { chooseCacheDir, cacheDir, projectRoot } from '../../src/config/paths.ts';

const root = '/opt/node_modules/kittest';

test('KITTEST_CACHE overrides everything, made absolute', (t) => {
  t.is(chooseCacheDir({ KITTEST_CACHE: '/srv/kc', XDG_CACHE_HOME: '/x' }, root, true, '/home/u'), '/srv/kc');
  t.is(chooseCacheDir({ KITTEST_CACHE: '/srv/kc' }, root, false, '/home/u'), '/srv/kc');
  t.is(chooseCacheDir({ KITTEST_CACHE: 'rel' }, root, false, '/home/u'), join(process.cwd(), 'rel'));
});

test('a clone keeps .cache/ in its project root', (t) => {
  t.is(chooseCacheDir({ XDG_CACHE_HOME: '/x' }, root, true, '/home/u'), join(root, '.cache'));
});

test('an installed package uses $XDG_CACHE_HOME/kittest, else ~/.cache/kittest', (t) => {
  t.is(chooseCacheDir({ XDG_CACHE_HOME: '/x/cache' }, root, false, '/home/u'), '/x/cache/kittest');
  t.is(chooseCacheDir({}, root, false, '/home/u'), '/home/u/.cache/kittest');
  t.is(chooseCacheDir({ XDG_CACHE_HOME: '' }, root, false, '/home/u'), '/home/u/.cache/kittest');
  // A relative XDG_CACHE_HOME is invalid by the spec and ignored.
  t.is(chooseCacheDir({ XDG_CACHE_HOME: 'cache' }, root, false, '/home/u'), '/home/u/.cache/kittest');
});

test('this worktree counts as a clone (its root has a .git entry)', (t) => {
  if (process.env.KITTEST_CACHE) return t.pass();
  t.is(cacheDir(), join(projectRoot, '.cache'));
});
