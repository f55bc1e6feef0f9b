// Profiles: a named, versioned set of cases (profiles/*.yml, or a vendor's file given by path),
// validated against profiles/profile.schema.json and against the cases that are loaded.
import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.ts';
import type { CaseDef } from './case-files.ts';
import { displayPath, lineOfField, loadYamlFile } from '../config/load-yaml.ts';
import { profilesDir, schemaFiles } from '../config/paths.ts';

export interface Profile {
  readonly name: string;
  /** As written: "1" for `version: 1`, "1.2.0" for a semantic version. */
  readonly version: string;
  readonly description?: string;
  /** Case ids, as the file lists them. */
  readonly cases: readonly string[];
  /** Absolute path of the profile file. */
  readonly file: string;
}

/** Names of the built-in profiles (profiles/NAME.yml). */
export function builtInProfiles(): string[] {
  return existsSync(profilesDir) ? readdirSync(profilesDir).filter((f) => f.endsWith('.yml')).map((f) => f.slice(0, -4)).sort() : [];
}

/** The file `--profile` names: a path when it has a slash or a YAML extension, else profiles/NAME.yml. */
export function profileFile(given: string): string {
  if (given.includes('/') || ['.yml', '.yaml'].includes(extname(given))) {
    const file = resolve(given);
    if (!existsSync(file)) throw new UsageError(`--profile ${given}: no such file`);
    return file;
  }
  const file = join(profilesDir, `${given}.yml`);
  if (!existsSync(file)) throw new UsageError(`unknown profile "${given}" (built-in: ${builtInProfiles().join(', ') || 'none'}; or give a profile file's path)`);
  return file;
}

/**
 * Load the profile `--profile` names and check it against `cases` (the built-ins and the --cases
 * folders): an unknown case id, or a profile leaving out the boot case, is a ConfigError naming file:line.
 */
export function loadProfile(given: string, cases: readonly CaseDef[]): Profile {
  const file = profileFile(given);
  const name = displayPath(file);
  const loaded = loadYamlFile<{ name: string; version: number | string; description?: string; cases: string[] }>(file, schemaFiles.profile);
  if (resolve(file, '..') === profilesDir && loaded.name !== basename(file, '.yml')) {
    throw new ConfigError(name, `name "${loaded.name}" must match the file name (${basename(file)}) for a profile in profiles/`, lineOfField(file, ['name']));
  }
  const known = new Set(cases.map((c) => c.id));
  loaded.cases.forEach((id, i) => {
    if (!known.has(id)) {
      throw new ConfigError(name, `cases[${i}]: unknown case "${id}" (known: ${[...known].join(', ')}; a vendor's cases need their folder given with --cases)`, lineOfField(file, ['cases', i]));
    }
  });
  for (const boot of cases.filter((c) => c.check === 'boot')) {
    if (!loaded.cases.includes(boot.id)) throw new ConfigError(name, `cases must include "${boot.id}": every run judges it`, lineOfField(file, ['cases']));
  }
  return Object.freeze({ ...loaded, version: String(loaded.version), cases: Object.freeze([...loaded.cases]), file });
}

/** The profile's cases, in run order. */
export function profileCases(profile: Profile, cases: readonly CaseDef[]): CaseDef[] {
  return cases.filter((c) => profile.cases.includes(c.id));
}
