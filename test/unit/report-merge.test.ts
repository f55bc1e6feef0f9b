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

/** Run `fn` with stdout swallowed (the command prints its summary there). */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
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
  const code = await quietly(() => reportCommand({}, ['merge', save('good.json', good), save('passing.json', passing)]));
  t.is(code, 0);
});

test.serial('report without "merge", or merge without files, is a usage error', async (t) => {
  await t.throwsAsync(() => reportCommand({}, ['combine', 'a.json']), { instanceOf: UsageError, message: /report: unknown action "combine"/ });
  await t.throwsAsync(() => reportCommand({}, []), { instanceOf: UsageError, message: /report: unknown action ""/ });
  await t.throwsAsync(() => reportCommand({}, ['merge']), { instanceOf: UsageError, message: /report merge: no report files given/ });
  t.false(existsSync(join(dir, 'a.json')));
});
