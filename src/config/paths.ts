// Where kittest's own data lives: the project root (targets/, cases/, images/) and the cache.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the kittest checkout (the folder holding package.json). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where the cache goes: KITTEST_CACHE when set; in a clone (the root has .git) its .cache/, as the
 * README promises; installed from npm, the user's cache ($XDG_CACHE_HOME/kittest, else
 * ~/.cache/kittest), which survives npm ci, is writable in a global install and is shared.
 */
export function chooseCacheDir(env: { readonly KITTEST_CACHE?: string; readonly XDG_CACHE_HOME?: string }, root: string, isClone: boolean, home: string): string {
  if (env.KITTEST_CACHE) return resolve(env.KITTEST_CACHE);
  if (isClone) return join(root, '.cache');
  // The XDG spec ignores a relative XDG_CACHE_HOME.
  const xdg = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(home, '.cache');
  return join(xdg, 'kittest');
}

/** Folder of built images and downloaded packages (git ignores it in a clone). */
export function cacheDir(): string {
  return chooseCacheDir(process.env, projectRoot, existsSync(join(projectRoot, '.git')), homedir());
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
