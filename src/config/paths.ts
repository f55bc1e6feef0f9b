// Where kittest's own data lives: the project root (targets/, cases/, images/) and the cache.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the kittest checkout (the folder holding package.json). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folder of built images and downloaded packages; git ignores it. KITTEST_CACHE overrides. */
export function cacheDir(): string {
  return process.env.KITTEST_CACHE ? resolve(process.env.KITTEST_CACHE) : join(projectRoot, '.cache');
}

export const targetsDir = join(projectRoot, 'targets');
export const casesDir = join(projectRoot, 'cases');
export const imagesDir = join(projectRoot, 'images');
