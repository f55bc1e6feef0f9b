// action.yml: valid against SchemaStore's GitHub Action schema, and its shell steps run here with a
// GitHub-like environment (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ACTION_PATH in temp folders).
import test from 'ava';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../src/config/paths.ts';
import { sampleReport } from '../fixtures/reports/sample.ts';
import { schemaStoreValidator, type Step } from '../helpers/github-yaml.ts';

interface Action {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(projectRoot, 'action.yml'), 'utf8')) as Action;
const validate = schemaStoreValidator('github-action');

const step = (id: string): Step => {
  const s = action.runs.steps.find((k) => k.id === id);
  if (!s?.run) throw new Error(`no run step ${id}`);
  return s;
};

/** Run a step's script as GitHub does (bash -eo pipefail) with its files in a temp folder; `env` stands for the step's env: values. */
async function runStep(s: Step, env: Record<string, string>, actionPath = projectRoot) {
  const dir = mkdtempSync(join(tmpdir(), 'kittest-action-'));
  const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary.md') };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const result = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', s.run!], {
    cwd: dir,
    reject: false,
    env: { NO_COLOR: '1', GITHUB_ACTIONS: 'true', GITHUB_ACTION_PATH: actionPath, ...files, ...env },
  });
  return { dir, result, output: readFileSync(files.GITHUB_OUTPUT, 'utf8'), summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8') };
}

test('action.yml is valid against the GitHub Action JSON Schema, which is not vacuous', (t) => {
  t.true(validate(action), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
  t.false(validate({ ...action, runs: undefined }));
  t.false(validate({ ...action, runs: { ...action.runs, using: 'bogus' } }));
});

test('a composite action with the inputs arch, image, cases, targets, profile and args', (t) => {
  t.is(action.runs.using, 'composite');
  for (const input of ['arch', 'image', 'cases', 'targets', 'profile', 'args']) t.truthy(action.inputs[input]?.description, input);
  // Inputs reach scripts as environment variables only: no expression is pasted into a script.
  for (const s of action.runs.steps) t.false(s.run?.includes('${{') ?? false, s.name);
});

test('it sets up the host with kittest setup, caches the image cache by kittest cache-key, uploads the reports always', (t) => {
  const steps = action.runs.steps;
  t.true(steps.some((s) => s.run?.includes('bin/kittest.js" setup') && s.run.includes('sudo -E')));
  const cache = steps.find((s) => s.uses?.startsWith('actions/cache@'));
  t.is(cache?.with?.key, '${{ steps.key.outputs.key }}');
  t.is(cache?.with?.path, '${{ steps.key.outputs.dir }}');
  t.is(step('run').env?.KITTEST_CACHE, '${{ steps.key.outputs.dir }}');
  const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  t.is(upload?.if, 'always()');
  t.is(upload?.with?.path, '${{ inputs.out }}');
  t.is(step('summary').if, 'always()');
  t.is(steps.at(-1)?.env?.CODE, '${{ steps.run.outputs.exit-code }}');
});

test('the cache key step writes kittest cache-key and the cache folder to GITHUB_OUTPUT', async (t) => {
  const { result, output } = await runStep(step('key'), { ARCH: 'x86_64', TARGETS: '', HOME: '/home/runner', KITTEST_CACHE: '' });
  t.is(result.exitCode, 0, result.stderr);
  const own = await execa(process.execPath, [join(projectRoot, 'bin', 'kittest.js'), 'cache-key', '--arch', 'x86_64']);
  t.is(output, `key=${own.stdout}\ndir=/home/runner/.cache/kittest\n`);
  t.regex(own.stdout, /^kittest-images-v\d+-[0-9a-f]{20}$/);
});

test('the run step passes the inputs to kittest run and keeps its exit code without failing', async (t) => {
  // A stand-in kittest that records its arguments and fails as a failed case would.
  const fake = mkdtempSync(join(tmpdir(), 'kittest-fake-'));
  mkdirSync(join(fake, 'bin'));
  writeFileSync(join(fake, 'bin', 'kittest.js'), "console.log(JSON.stringify({ argv: process.argv.slice(2), gha: process.env.GITHUB_ACTIONS })); process.exit(1);\n");
  const { result, output } = await runStep(
    step('run'),
    { ARCH: 'x86_64,arm64', IMAGE: 'out/my image', CASES: 'vendor/cases\nmore cases\n', TARGETS: '', PROFILE: '', ARGS: '--case boot,dhcp --retries 2', OUT: 'kout' },
    fake,
  );
  t.is(result.exitCode, 0, result.stderr);
  t.is(output, 'exit-code=1\n');
  const seen = JSON.parse(result.stdout) as { argv: string[]; gha: string };
  t.deepEqual(seen.argv, [
    'run', '--arch', 'x86_64,arm64', '--image', 'out/my image', '--cases', 'vendor/cases', '--cases', 'more cases', '--case', 'boot,dhcp', '--retries', '2',
    '--json', 'kout/report.json', '--junit', 'kout/junit.xml', '--html', 'kout/report.html', '--artifacts', 'kout/artifacts',
  ]);
  // The summary step annotates, once.
  t.is(seen.gha, 'false');
});

test('the summary step writes the job summary, ::error annotations and its outputs from the recorded report', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kittest-out-'));
  writeFileSync(join(out, 'report.json'), JSON.stringify(sampleReport()));
  const { result, output, summary } = await runStep(step('summary'), { OUT: out });
  t.is(result.exitCode, 0, result.stderr);
  t.is(output, `report=${out}/report.json\npassed=false\n`);
  t.true(summary.startsWith('## kittest\n'));
  t.true(summary.includes('| s390x | 💥 error | ✅ passed | ❌ failed | 💥 error |'));
  t.true(summary.includes('### Failed cases'));
  t.false(summary.includes('<script>'));
  const annotations = result.stdout.split('\n').filter((l) => l.startsWith('::error '));
  t.deepEqual(annotations.map((l) => l.slice(0, l.indexOf('::', 2))), ['::error title=kittest s390x dhcp failed', '::error title=kittest s390x rng error', '::error title=kittest x86_64 dhcp interrupted']);
});

test('the summary step of a passing report says passed; without a report it notes that and does not fail', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kittest-out-'));
  const report = sampleReport();
  report.runs = report.runs.slice(0, 1);
  writeFileSync(join(out, 'report.json'), JSON.stringify(report));
  const passing = await runStep(step('summary'), { OUT: out });
  t.is(passing.output, `report=${out}/report.json\npassed=true\n`);
  t.false(passing.result.stdout.includes('::error'));
  const none = await runStep(step('summary'), { OUT: join(out, 'nothing') });
  t.is(none.result.exitCode, 0);
  t.is(none.summary, 'kittest wrote no report (see the run step)\n');
  t.is(none.output, '');
});

test('the last step fails the job with kittest run\'s exit code', async (t) => {
  const last = action.runs.steps.at(-1)!;
  t.is((await runStep(last, { CODE: '0' })).result.exitCode, 0);
  t.is((await runStep(last, { CODE: '1' })).result.exitCode, 1);
});
