// The conformance statement a `--profile` run writes into its reports: what was claimed, with what.
import { basename, dirname } from 'node:path';
import { caseFileName } from '../cases/case-folders.ts';
import type { CaseDef } from '../cases/case-files.ts';
import { displayPath } from '../config/load-yaml.ts';
import { profilesDir } from '../config/paths.ts';
import type { Profile } from '../cases/profiles.ts';
import { sha256File } from '../util/sha256.ts';
import { version } from '../config/version.ts';
import type { ConformanceStatement } from './model.ts';

/** Where a profile file lives, as the statement records it: "profiles" for a built-in one, else its folder as given. */
function profileFileName(file: string): { folder: string; path: string } {
  return { folder: dirname(file) === profilesDir ? 'profiles' : displayPath(dirname(file)), path: basename(file) };
}

/** The statement of a run of `profile` with `cases` (the profile's, in run order); `qemu` is the QEMU version per target. */
export async function buildStatement(profile: Profile, cases: readonly CaseDef[], qemu: Readonly<Record<string, string>>): Promise<ConformanceStatement> {
  return {
    profile: { name: profile.name, version: profile.version, ...profileFileName(profile.file), sha256: await sha256File(profile.file), cases: [...profile.cases] },
    kittest: version,
    cases: await Promise.all(cases.map(async (c) => ({ id: c.id, ...caseFileName(c), sha256: await sha256File(c.file) }))),
    qemu: { ...qemu },
  };
}
