import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportCommand } from '../../src/commands/report.ts';
import { projectRoot } from '../../src/config/paths.ts';
import { UsageError } from '../../src/errors.ts';
import { shardOf } from '../../src/matrix/schedule.ts';
import { mergeReports, readReport } from '../../src/report/merge.ts';
import { type Report, summarize } from '../../src/report/model.ts';
import { sampleReport } from '../fixtures/reports/sample.ts';

const fixtures = join(projectRoot, 'test', 'fixtures', 'reports');
const dir = mkdtempSync(join(tmpdir(), 'kt-merge-'));

/** Shard I of N of a report, as `kittest run --shard I/N` would have written it. */
function shard(report: Report, index: number, count: number): Report {
  const runs = shardOf(report.runs, { index, count });
  return { tool: report.tool, runs, summary: summarize(runs) };
}

function save(name: string, report: Report): string {
  const file = join(dir, name);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** Run `fn` with stdout swallowed (the command prints its summary there) and stderr kept in `stderr`. */
async function quietly<T>(fn: () => Promise<T>, stderr: string[] = []): Promise<T> {
  const write = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((text: string) => stderr.push(text) > 0) as typeof process.stderr.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}

/** Every target of targets/, as the sample's three runs plus the two it lacks, all passing. */
function passingEverywhere(): Report {
  const base = sampleReport().runs[0]!;
  const runs = ['arm64', 'ppc64le', 'riscv64', 's390x', 'x86_64'].map((target) => ({ ...structuredClone(base), target, status: 'passed' as const, attempts: 1 }));
  return { tool: sampleReport().tool, runs, summary: summarize(runs) };
}

test('merging the 1/2 and 2/2 shard reports gives back the single-run report', (t) => {
  const whole = sampleReport();
  const one = shard(whole, 1, 2);
  const two = shard(whole, 2, 2);
  t.deepEqual(one.runs.map((r) => r.target), ['arm64', 'x86_64']);
  t.deepEqual(two.runs.map((r) => r.target), ['s390x']);
  t.deepEqual(mergeReports([one, two]), whole);
  // Whatever order the shards come in (a shell glob, a download order).
  t.deepEqual(mergeReports([two, one]), whole);
});

test('shards written to disk and read back merge to the single-run report', (t) => {
  const whole = sampleReport();
  const files = [save('shard-2.json', shard(whole, 2, 2)), save('shard-1.json', shard(whole, 1, 2))];
  t.deepEqual(mergeReports(files.map(readReport)), whole);
});

test('the summary is recomputed from the merged runs', (t) => {
  const one = shard(sampleReport(), 1, 2);
  const two = shard(sampleReport(), 2, 2);
  one.summary = { passed: 99, failed: 99, error: 99, skipped: 99, interrupted: 99 };
  t.deepEqual(mergeReports([one, two]).summary, { passed: 5, failed: 1, error: 1, skipped: 1, interrupted: 1 });
});

test('runs follow the targets/*.yml file-name order, as a single run does', (t) => {
  const base = sampleReport();
  const named = (target: string) => ({ ...base, runs: [{ ...base.runs[0]!, target }], summary: summarize([base.runs[0]!]) });
  const merged = mergeReports([named('arm'), named('x86_64'), named('arm-v7'), named('arm64')]);
  // "arm-v7.yml" < "arm.yml" < "arm64.yml" < "x86_64.yml", as readdirSync(...).sort() orders the files.
  t.deepEqual(merged.runs.map((r) => r.target), ['arm-v7', 'arm', 'arm64', 'x86_64']);
});

test('a target in two reports is a usage error naming both', (t) => {
  const whole = sampleReport();
  const error = t.throws(() => mergeReports([shard(whole, 1, 2), whole], ['a.json', 'b.json']), { instanceOf: UsageError });
  t.is(error?.message, 'report merge: target "arm64" appears twice (in a.json and b.json); each target must come from one shard');
});

test('no reports at all is a usage error', (t) => {
  t.throws(() => mergeReports([]), { instanceOf: UsageError, message: /no reports to merge/ });
});

test('a malformed JSON file is a one-line usage error naming the file', (t) => {
  const file = join(fixtures, 'truncated.json');
  const error = t.throws(() => readReport(file), { instanceOf: UsageError });
  t.regex(error?.message ?? '', /truncated\.json: not valid JSON \(.+\)$/);
  t.is(error?.message.split('\n').length, 1);
});

test('JSON that is not a report is a usage error naming the file and the field', (t) => {
  t.throws(() => readReport(join(fixtures, 'not-a-report.json')), {
    instanceOf: UsageError,
    message: /not-a-report\.json: not a kittest report: runs\.0\.cases\.0\.status must be one of "passed", "failed", "error", "skipped", "interrupted"$/,
  });
  const other = save('other-tool.json', { ...sampleReport(), tool: { name: 'jest', version: '1' } } as unknown as Report);
  t.throws(() => readReport(other), { instanceOf: UsageError, message: /other-tool\.json: not a kittest report: tool\.name must be "kittest"$/ });
  const noRuns = join(dir, 'no-runs.json');
  writeFileSync(noRuns, '{"tool":{"name":"kittest","version":"0.1.0"},"summary":{}}');
  t.throws(() => readReport(noRuns), { instanceOf: UsageError, message: /no-runs\.json: not a kittest report: missing "runs"$/ });
  const array = join(dir, 'array.json');
  writeFileSync(array, '[]');
  t.throws(() => readReport(array), { instanceOf: UsageError, message: /array\.json: not a kittest report: \(top level\) must be object$/ });
});

test('a missing file is a usage error naming it', (t) => {
  t.throws(() => readReport(join(dir, 'nope.json')), { instanceOf: UsageError, message: /nope\.json: cannot read the report \(ENOENT\)$/ });
});

test.serial('report merge writes the merged JSON and JUnit and exits 1 when a target failed', async (t) => {
  const whole = sampleReport();
  const files = [save('cmd-1.json', shard(whole, 1, 2)), save('cmd-2.json', shard(whole, 2, 2))];
  const json = join(dir, 'out', 'merged.json');
  const junit = join(dir, 'out', 'merged.xml');
  const code = await quietly(() => reportCommand({ json, junit }, ['merge', ...files]));
  t.is(code, 1);
  t.deepEqual(JSON.parse(readFileSync(json, 'utf8')), JSON.parse(JSON.stringify(whole)));
  t.regex(readFileSync(junit, 'utf8'), /<testsuites name="kittest" tests="9" failures="1" errors="2" skipped="1"/);
});

test.serial('report merge exits 0 when every run passed or was flaky', async (t) => {
  const whole = sampleReport();
  const good = { ...whole, runs: whole.runs.slice(0, 1), summary: summarize(whole.runs.slice(0, 1)) };
  const passing = { ...good, runs: [{ ...good.runs[0]!, target: 'riscv64', status: 'passed' as const }] };
  const code = await quietly(() => reportCommand({ arch: 'arm64,riscv64' }, ['merge', save('good.json', good), save('passing.json', passing)]));
  t.is(code, 0);
});

test.serial('report merge exits 1 and names the targets no report has, though every run passed', async (t) => {
  const all = passingEverywhere();
  const json = join(dir, 'out', 'partial.json');
  const shards = [1, 2, 3].map((i) => save(`five-${i}.json`, shard(all, i, 3)));
  t.is(await quietly(() => reportCommand({}, ['merge', ...shards])), 0);
  const stderr: string[] = [];
  // Shard 2/3 (ppc64le and x86_64) never uploaded its JSON.
  const code = await quietly(() => reportCommand({ json }, ['merge', shards[0]!, shards[2]!]), stderr);
  t.is(code, 1);
  t.is(stderr.join(''), "kittest: report merge: no report has a run for ppc64le, x86_64 (expected arm64, ppc64le, riscv64, s390x, x86_64; --arch names others): a shard's JSON is missing or did not run it\n");
  // What came is still merged and written.
  t.deepEqual((JSON.parse(readFileSync(json, 'utf8')) as Report).runs.map((r) => r.target), ['arm64', 'riscv64', 's390x']);
  // --arch says which targets to expect, by name or alias.
  t.is(await quietly(() => reportCommand({ arch: 'aarch64,riscv64,s390x' }, ['merge', shards[0]!, shards[2]!])), 0);
});

test.serial('report files that cannot be read are all named in one usage error', async (t) => {
  const one = save('readable.json', shard(passingEverywhere(), 1, 3));
  const error = await t.throwsAsync(quietly(() => reportCommand({}, ['merge', join(dir, 'shard-2.missing.json'), one, join(fixtures, 'truncated.json')])), { instanceOf: UsageError });
  t.regex(error?.message ?? '', /^report merge: .*shard-2\.missing\.json: cannot read the report \(ENOENT\); .*truncated\.json: not valid JSON \(.+\)$/);
});

test('a run\'s status is recomputed from its cases and machine failure, not taken from the file', (t) => {
  const whole = sampleReport();
  const lying = structuredClone(whole);
  // s390x has a failed and an error case, x86_64 an interrupted one: a file cannot call them passed.
  for (const run of lying.runs) run.status = 'passed';
  const merged = mergeReports([lying]);
  t.deepEqual(merged.runs.map((r) => [r.target, r.status]), [['arm64', 'flaky'], ['s390x', 'error'], ['x86_64', 'interrupted']]);
  t.deepEqual(merged, whole);
  // A machine failure after the last verdict fails a run whose cases all passed.
  const panicked = structuredClone(whole.runs[0]!);
  panicked.machineFailure = { what: 'Kernel panic - not syncing: sysrq triggered crash', atMs: 41_000 };
  t.is(mergeReports([{ ...whole, runs: [panicked] }]).runs[0]!.status, 'failed');
  // Flaky is a pass after a retry: one attempt is a plain pass, whatever the file says.
  const once = { ...structuredClone(whole.runs[0]!), attempts: 1 };
  t.is(mergeReports([{ ...whole, runs: [once] }]).runs[0]!.status, 'passed');
  t.is(mergeReports([{ ...whole, runs: [{ ...once, attempts: 3, status: 'passed' as const }] }]).runs[0]!.status, 'flaky');
  // The file can make a run worse (kittest run marks it error when the image changed during it), never better.
  t.is(mergeReports([{ ...whole, runs: [{ ...once, status: 'error' as const }] }]).runs[0]!.status, 'error');
});

test.serial('report merge exits 1 when a shard claims passed for a run with a failed case', async (t) => {
  const all = passingEverywhere();
  const lying = structuredClone(all);
  lying.runs[3]!.cases[1]!.status = 'failed';
  lying.summary = summarize(all.runs);
  t.is(lying.runs[3]!.status, 'passed');
  t.is(await quietly(() => reportCommand({}, ['merge', save('lying.json', lying)])), 1);
});

test.serial('report without "merge", or merge without files, is a usage error', async (t) => {
  await t.throwsAsync(() => reportCommand({}, ['combine', 'a.json']), { instanceOf: UsageError, message: /report: unknown action "combine"/ });
  await t.throwsAsync(() => reportCommand({}, []), { instanceOf: UsageError, message: /report: unknown action ""/ });
  await t.throwsAsync(() => reportCommand({}, ['merge']), { instanceOf: UsageError, message: /report merge: no report files given/ });
  t.false(existsSync(join(dir, 'a.json')));
});

test.serial('report merge --targets expects and orders the runs of vendor targets as kittest run --targets does', async (t) => {
  const vendor = join(projectRoot, 'examples', 'vendor', 'targets');
  const base = sampleReport().runs[0]!;
  const runOf = (target: string) => ({ ...structuredClone(base), target, status: 'passed' as const, attempts: 1 });
  const one = [runOf('acme-pc')];
  const two = [runOf('x86_64')];
  const files = [save('vendor-1.json', { tool: sampleReport().tool, runs: one, summary: summarize(one) }), save('vendor-2.json', { tool: sampleReport().tool, runs: two, summary: summarize(two) })];
  // Without the folder the vendor target is unknown to merge.
  await t.throwsAsync(quietly(() => reportCommand({ arch: 'x86_64,acme-pc' }, ['merge', ...files])), { instanceOf: UsageError, message: /unknown arch "acme-pc"/ });
  const json = join(dir, 'out', 'vendor.json');
  t.is(await quietly(() => reportCommand({ arch: 'x86_64,acme-pc', targets: [vendor], json }, ['merge', ...files])), 0);
  // Built-in targets first, then the folder's, as in one run's report (not acme-pc before x86_64 by name).
  t.deepEqual((JSON.parse(readFileSync(json, 'utf8')) as Report).runs.map((r) => r.target), ['x86_64', 'acme-pc']);
  const stderr: string[] = [];
  t.is(await quietly(() => reportCommand({ arch: 'x86_64,acme-pc', targets: [vendor] }, ['merge', files[1]!]), stderr), 1);
  t.regex(stderr.join(''), /no report has a run for acme-pc/);
  await t.throwsAsync(quietly(() => reportCommand({ targets: [vendor] }, ['verify', files[0]!])), { instanceOf: UsageError, message: 'report verify: --targets is for report merge' });
});
