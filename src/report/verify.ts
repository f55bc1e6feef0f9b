// Check a report's conformance statement against what can be recomputed here: the case and profile
// files of this checkout (and the --cases folders given), the image files, and the report itself.
// Built-in profiles and cases are checked against the files shipped with this kittest only: their
// names are reserved, so a copy edited elsewhere (KITTEST_CASES, --cases) never verifies as them.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadCase } from '../cases/case-files.ts';
import { dataFilesIn } from '../config/data-folders.ts';
import { displayPath, loadYamlFile } from '../config/load-yaml.ts';
import { profilesDir, projectRoot, schemaFiles } from '../config/paths.ts';
import { builtInProfiles } from '../cases/profiles.ts';
import { ConfigError } from '../errors.ts';
import { sha256File } from '../util/sha256.ts';
import { version } from '../config/version.ts';
import { recomputedStatus } from './status.ts';
import { type ConformanceStatement, type Report, summarize } from './model.ts';

/** One line of `kittest report verify`: a check that held, one that did not, one that could not be made here, or a remark. */
interface VerifyLine {
  readonly result: 'ok' | 'MISMATCH' | 'skipped' | 'note';
  readonly what: string;
  readonly detail: string;
}

const short = (hash: string) => hash.slice(0, 12);

/** sha256 of `file`, or undefined when it cannot be read. */
async function hashOf(file: string): Promise<string | undefined> {
  try {
    return await sha256File(file);
  } catch {
    return undefined;
  }
}

/** Ids in `want` but not `have`, and in `have` but not `want`, as "missing x, extra y". */
function setDifference(want: readonly string[], have: readonly string[]): string {
  const missing = want.filter((id) => !have.includes(id));
  const extra = have.filter((id) => !want.includes(id));
  return [missing.length && `missing ${missing.join(', ')}`, extra.length && `extra ${extra.join(', ')}`].filter(Boolean).join('; ');
}

/** Compare the file at `candidates` (the first one that exists) with `sha256`. */
async function fileLine(what: string, recorded: string, sha256: string, candidates: readonly string[], whereToLook: string): Promise<VerifyLine> {
  const found = candidates.filter((file) => existsSync(file));
  if (found.length === 0) return { result: 'MISMATCH', what, detail: `${recorded} not found in ${whereToLook}, so its sha256 cannot be checked` };
  const hashes = await Promise.all(found.map(hashOf));
  const i = hashes.indexOf(sha256);
  if (i >= 0) return { result: 'ok', what, detail: `${displayPath(found[i]!)} sha256 ${short(sha256)}… as recorded` };
  return { result: 'MISMATCH', what, detail: found.map((file, j) => `${displayPath(file)} has sha256 ${hashes[j] ?? '(unreadable)'}`).join(', ') + `; the report records ${sha256}` };
}

/** kittest's own case files by id (never KITTEST_CASES): what a built-in case id must be. */
function shippedCases(): Map<string, string> {
  const dir = join(projectRoot, 'cases');
  return new Map(dataFilesIn(dir).map((file) => [loadCase(file).id, file]));
}

/** Where a recorded case file may be now: kittest's own file for a built-in id (or folder), else each --cases folder. */
function caseCandidates(entry: ConformanceStatement['cases'][number], folders: readonly string[], shipped: ReadonlyMap<string, string>): string[] {
  const own = shipped.get(entry.id);
  if (own) return [own];
  return entry.folder === 'cases' ? [] : folders.map((dir) => join(resolve(dir), entry.path));
}

/** Does the profile file say what the statement says it says (name, version, cases)? The hash alone does not tie those fields to it. */
function profileContentLine(file: string, statement: ConformanceStatement): VerifyLine {
  const { profile } = statement;
  const what = `profile ${profile.name} ${profile.version} content`;
  let doc: { name: string; version: number | string; cases: string[] };
  try {
    doc = loadYamlFile(file, schemaFiles.profile);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { result: 'MISMATCH', what, detail: error.message };
  }
  const differs = [
    doc.name !== profile.name && `name ${doc.name}`,
    String(doc.version) !== profile.version && `version ${doc.version}`,
    doc.cases.join(',') !== profile.cases.join(',') && `cases ${doc.cases.join(', ')}`,
  ].filter(Boolean);
  return differs.length
    ? { result: 'MISMATCH', what, detail: `${displayPath(file)} says ${differs.join('; ')}, unlike the statement` }
    : { result: 'ok', what, detail: `${displayPath(file)} names the ${doc.cases.length} cases the statement records` };
}

/** Every check of `report`'s statement, in order; `caseFolders` are the --cases folders given. */
export async function verifyStatement(report: Report, statement: ConformanceStatement, caseFolders: readonly string[]): Promise<VerifyLine[]> {
  const lines: VerifyLine[] = [];
  const { profile } = statement;
  const profileId = `${profile.name} ${profile.version}`;

  // A built-in profile name is reserved: it is checked against profiles/NAME.yml as shipped, whatever
  // folder the report names. A vendor's profile is read at the folder recorded.
  const shippedName = builtInProfiles().includes(profile.name);
  const recorded = join(profile.folder, profile.path);
  const profileFile = shippedName ? join(profilesDir, `${profile.name}.yml`) : profile.folder === 'profiles' ? undefined : resolve(profile.folder, profile.path);
  if (!profileFile) {
    lines.push({ result: 'MISMATCH', what: `profile ${profileId}`, detail: `${recorded}: kittest has no built-in profile ${profile.name}` });
  } else if (!existsSync(profileFile)) {
    // Without the file nothing ties the statement's case list to the profile: no proof, so no "holds".
    lines.push({ result: 'MISMATCH', what: `profile ${profileId}`, detail: `${recorded} is not here, so neither its sha256 nor its cases can be checked (verify where that folder is)` });
  } else {
    lines.push(await fileLine(`profile ${profileId}`, recorded, profile.sha256, [profileFile], shippedName ? "kittest's own profiles/" : profile.folder));
    lines.push(profileContentLine(profileFile, statement));
  }

  // The statement hashes exactly the profile's cases.
  const hashed = statement.cases.map((c) => c.id);
  const caseSets = setDifference(profile.cases, hashed);
  lines.push(
    caseSets
      ? { result: 'MISMATCH', what: 'statement cases', detail: `the statement's case files are not the profile's cases: ${caseSets}` }
      : { result: 'ok', what: 'statement cases', detail: `the statement hashes the profile's ${hashed.length} cases` },
  );

  const shipped = shippedCases();
  const where = caseFolders.length ? `cases/ or ${caseFolders.join(', ')}` : 'cases/ (a vendor case needs its folder given with --cases)';
  for (const entry of statement.cases) {
    const own = shipped.has(entry.id) || entry.folder === 'cases';
    lines.push(await fileLine(`case ${entry.id}`, join(entry.folder, entry.path), entry.sha256, caseCandidates(entry, caseFolders, shipped), own ? "kittest's own cases/" : where));
  }

  if (report.runs.length === 0) lines.push({ result: 'MISMATCH', what: 'runs', detail: 'the report has no runs' });
  for (const run of report.runs) {
    const ids = run.cases.map((c) => c.id);
    const diff = setDifference(profile.cases, ids);
    lines.push(
      diff
        ? { result: 'MISMATCH', what: `run ${run.target} cases`, detail: `not the profile's cases: ${diff}` }
        : { result: 'ok', what: `run ${run.target} cases`, detail: `the profile's ${ids.length} cases` },
    );
    const status = recomputedStatus(run);
    lines.push(
      status === run.status
        ? { result: 'ok', what: `run ${run.target} status`, detail: `${run.status} follows from its case verdicts` }
        : { result: 'MISMATCH', what: `run ${run.target} status`, detail: `the report says ${run.status}, its case verdicts give ${status}` },
    );
    if (!(run.target in statement.qemu)) lines.push({ result: 'MISMATCH', what: `run ${run.target} qemu`, detail: 'the statement records no QEMU version for this target' });
    for (const [file, sha256] of Object.entries(run.image.sha256)) {
      const what = `run ${run.target} image`;
      if (!existsSync(file)) {
        lines.push({ result: 'skipped', what, detail: `${file} is not here, so its sha256 is not checked` });
        continue;
      }
      const now = await hashOf(file);
      lines.push(now === sha256 ? { result: 'ok', what, detail: `${displayPath(file)} sha256 ${short(sha256)}… as recorded` } : { result: 'MISMATCH', what, detail: `${displayPath(file)} has sha256 ${now ?? '(unreadable)'}; the report records ${sha256}` });
    }
  }

  const summary = summarize(report.runs);
  const claimed = report.summary;
  const same = (Object.keys(summary) as (keyof typeof summary)[]).every((k) => summary[k] === claimed[k]);
  lines.push(same ? { result: 'ok', what: 'summary', detail: 'counts the case verdicts' } : { result: 'MISMATCH', what: 'summary', detail: `says ${JSON.stringify(claimed)}, the case verdicts give ${JSON.stringify(summary)}` });

  if (statement.kittest !== version) lines.push({ result: 'note', what: 'kittest', detail: `the report was written by kittest ${statement.kittest}; this is ${version}` });
  return lines;
}

/** Whether the runs passed (passed or flaky, as `report merge` counts them): apart from whether the statement holds. */
export function runsOutcome(report: Report): { passed: boolean; detail: string } {
  const bad = report.runs.filter((r) => r.status !== 'passed' && r.status !== 'flaky');
  if (report.runs.length === 0) return { passed: false, detail: 'the report has no runs' };
  return bad.length === 0
    ? { passed: true, detail: `all ${report.runs.length} run${report.runs.length === 1 ? '' : 's'} passed` }
    : { passed: false, detail: `${bad.length} of ${report.runs.length} runs did not pass: ${bad.map((r) => `${r.target} ${r.status}`).join(', ')}` };
}
