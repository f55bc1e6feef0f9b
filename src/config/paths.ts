// Where kittest's own data lives: the project root (targets/, cases/, images/) and the cache.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the kittest checkout (the folder holding package.json). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folder of built images and downloaded packages; git ignores it. KITTEST_CACHE overrides. */
export function cacheDir(): string {
  return process.env.KITTEST_CACHE ? resolve(process.env.KITTEST_CACHE) : join(projectRoot, '.cache');
}

/** Target files; KITTEST_TARGETS points at another folder (a vendor's own targets). */
export const targetsDir = process.env.KITTEST_TARGETS ? resolve(process.env.KITTEST_TARGETS) : join(projectRoot, 'targets');
/** Built-in case files; KITTEST_CASES points at another folder that replaces them (--cases folders add to either). */
export const casesDir = process.env.KITTEST_CASES ? resolve(process.env.KITTEST_CASES) : join(projectRoot, 'cases');
/** The JSON Schemas always come from the project, whatever folder the data is read from. */
export const schemaFiles = {
  target: join(projectRoot, 'targets', 'target.schema.json'),
  case: join(projectRoot, 'cases', 'case.schema.json'),
  image: join(projectRoot, 'images', 'image.schema.json'),
  profile: join(projectRoot, 'profiles', 'profile.schema.json'),
} as const;
/** Built-in profiles: `--profile NAME` reads profiles/NAME.yml. */
export const profilesDir = join(projectRoot, 'profiles');
export const imagesDir = join(projectRoot, 'images');
