import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadTargets } from '../../src/config/targets.ts';
import { projectRoot } from '../../src/config/paths.ts';
import { githubMatrix } from '../../src/matrix/github-matrix.ts';
import { schemaStoreValidator, type Step } from '../helpers/github-yaml.ts';

interface Job {
  needs?: string | string[];
  if?: string;
  outputs?: Record<string, string>;
  strategy?: { 'fail-fast'?: boolean; matrix?: unknown };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const file = join(projectRoot, '.github', 'workflows', 'nightly.yml');
const workflow = parse(readFileSync(file, 'utf8')) as Workflow;

const validateWorkflow = schemaStoreValidator('github-workflow');

const job = (name: string): Job => {
  const j = workflow.jobs[name];
  if (!j) throw new Error(`no job ${name}`);
  return j;
};
const needs = (j: Job) => (Array.isArray(j.needs) ? j.needs : j.needs ? [j.needs] : []);
const uses = (j: Job, action: string) => j.steps.filter((s) => s.uses?.startsWith(`${action}@`));

test('nightly.yml is valid against the GitHub workflow JSON Schema', (t) => {
  const valid = validateWorkflow(workflow);
  t.true(valid, JSON.stringify(validateWorkflow.errors?.slice(0, 5), null, 2));
});

test('every workflow under .github/workflows is valid against the GitHub workflow JSON Schema', (t) => {
  const dir = join(projectRoot, '.github', 'workflows');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  t.true(files.includes('nightly.yml'));
  for (const name of files) t.true(validateWorkflow(parse(readFileSync(join(dir, name), 'utf8'))), `${name}: ${JSON.stringify(validateWorkflow.errors?.slice(0, 3))}`);
});

test('the schema is not vacuous: it rejects a job without runs-on and an unknown top-level key', (t) => {
  const broken = structuredClone(workflow) as unknown as { jobs: Record<string, Record<string, unknown>>; bogus?: boolean };
  delete broken.jobs.plan?.['runs-on'];
  t.false(validateWorkflow(broken));
  t.false(validateWorkflow({ ...workflow, bogus: true }));
  t.false(validateWorkflow({ ...workflow, jobs: { plan: { ...job('plan'), 'runs-on': 'ubuntu-latest', 'timeout-minutes': 'soon' } } }));
});

test('it runs nightly on a schedule and by hand', (t) => {
  const schedule = workflow.on.schedule as { cron: string }[];
  t.is(schedule.length, 1);
  t.regex(schedule[0]?.cron ?? '', /^\d+ \d+ \* \* \*$/);
  t.true('workflow_dispatch' in workflow.on);
});

test('the plan job sets up the host and outputs the matrix from kittest matrix --format github', (t) => {
  const plan = job('plan');
  t.true(plan.steps.some((s) => s.run?.includes('node scripts/setup.mjs') && s.run.startsWith('sudo -E')));
  const step = plan.steps.find((s) => s.run?.includes('bin/kittest.js matrix --format github'));
  t.truthy(step?.id);
  t.is(step?.run, 'echo "matrix=$(node bin/kittest.js matrix --format github)" >> "$GITHUB_OUTPUT"');
  t.is(plan.outputs?.matrix, `\${{ steps.${step?.id}.outputs.matrix }}`);
});

test('the conformance job takes its matrix from the plan output and does not stop at the first failure', (t) => {
  const conformance = job('conformance');
  t.deepEqual(needs(conformance), ['plan']);
  t.is(conformance.strategy?.matrix, '${{ fromJSON(needs.plan.outputs.matrix) }}');
  t.is(conformance.strategy?.['fail-fast'], false);
});

test('the conformance job runs every matrix target through the repository\'s own Action, reports under out/', (t) => {
  const conformance = job('conformance');
  const [step] = conformance.steps.filter((s) => s.uses === './');
  t.is(step?.with?.arch, '${{ matrix.target }}');
  t.is(step?.with?.out, 'out');
  // Every matrix key the job reads is one that kittest matrix prints.
  const keys = new Set(githubMatrix(loadTargets()).include.flatMap((e) => Object.keys(e)));
  const read = [...JSON.stringify(conformance).matchAll(/matrix\.([\w-]+)/g)].map((m) => m[1] ?? '');
  t.true(read.length > 0);
  for (const key of read) t.true(keys.has(key), key);
});

test('each conformance job uploads its reports as conformance-TARGET (the Action uploads even when a case failed)', (t) => {
  const [step] = job('conformance').steps.filter((s) => s.uses === './');
  t.regex(String(step?.with?.['artifact-name']), /^conformance-\$\{\{ matrix\.target \}\}$/);
});

test('the report job runs after every target, merges all results and uploads the merged report', (t) => {
  const report = job('report');
  t.true(needs(report).includes('conformance'));
  t.regex(report.if ?? '', /^always\(\)/);
  const [download] = uses(report, 'actions/download-artifact');
  t.is(download?.uses, 'actions/download-artifact@v4');
  t.is(download?.with?.pattern, 'conformance-*');
  t.is(download?.with?.path, 'out');
  // Each artifact keeps its folder: every target's report is called report.json.
  t.is(download?.with?.['merge-multiple'], undefined);
  const merge = report.steps.find((s) => s.run?.includes('report merge'));
  t.is(merge?.run, 'node bin/kittest.js report merge out/*/report.json --json merged.json --junit merged.xml --html report.html --summary "$GITHUB_STEP_SUMMARY"');
  const [upload] = uses(report, 'actions/upload-artifact');
  t.is(upload?.if, 'always()');
  t.deepEqual(String(upload?.with?.path).trim().split('\n'), ['merged.json', 'merged.xml', 'report.html']);
  // The merged report's artifact must not match the download pattern, or a re-run would merge it too.
  t.false(String(upload?.with?.name).startsWith('conformance-'));
});
