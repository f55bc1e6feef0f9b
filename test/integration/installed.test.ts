// kittest as a user gets it: the packed tarball installed into an empty project with a fresh HOME,
// then a verdict from there. The image cache is the clone's (KITTEST_CACHE, else projectRoot/.cache),
// so nothing is rebuilt; npm's own download cache is the real one, so the install stays quick.
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.ts';
import type { Report } from '../../src/report/model.ts';
import { qemusUnder } from '../helpers/qemu-processes.ts';

const work = mkdtempSync(join(tmpdir(), 'kittest-installed-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

test('the packed tarball installs into an empty project and runs a verdict there', async (t) => {
  const cache = process.env.KITTEST_CACHE ?? join(projectRoot, '.cache');
  const npmCache = process.env.npm_config_cache ?? join(homedir(), '.npm');
  const pack = await execa('npm', ['pack', '--json', '--pack-destination', work], { cwd: projectRoot });
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const paths = packed!.files.map((f) => f.path);
  t.true(paths.includes('bin/kittest.js') && paths.includes('src/cli.ts') && paths.includes('targets/x86_64.yml') && paths.includes('scripts/host-packages.mjs'));
  t.false(paths.some((p) => p.startsWith('test/') || p.startsWith('examples/') || p.startsWith('.github/')), 'no tests in the package');

  const app = join(work, 'app');
  const home = join(work, 'home');
  mkdirSync(app);
  mkdirSync(home);
  writeFileSync(join(app, 'package.json'), '{ "name": "vendor-app", "private": true }\n');
  const { XDG_CACHE_HOME: _xdg, KITTEST_CACHE: _kc, ...inherited } = process.env;
  // node-pty builds from source against the headers npm is set to use (nodedir): the temporary HOME
  // hides the user's .npmrc, and npm passes its settings on only to scripts it runs itself.
  const nodedir = process.env.npm_config_nodedir ?? (await execa('npm', ['config', 'get', 'nodedir'], { reject: false })).stdout.trim();
  const env = { ...inherited, HOME: home, npm_config_cache: npmCache, NO_COLOR: '1', ...(nodedir && nodedir !== 'undefined' ? { npm_config_nodedir: nodedir } : {}) };
  const install = await execa('npm', ['install', '--no-audit', '--no-fund', join(work, packed!.filename)], { cwd: app, env, extendEnv: false, reject: false });
  t.is(install.exitCode, 0, install.stderr);
  const installed = join(app, 'node_modules', 'kittest');
  t.false(existsSync(join(installed, 'test')));

  const kittest = (args: string[]) => execa('npx', ['--no-install', 'kittest', ...args], { cwd: app, env: { ...env, KITTEST_CACHE: cache }, extendEnv: false, reject: false });
  // The installed package computes the clone's cache keys: its images are reused, not rebuilt.
  const own = await execa(process.execPath, [join(projectRoot, 'bin', 'kittest.js'), 'cache-key', '--arch', 'x86_64']);
  t.is((await kittest(['cache-key', '--arch', 'x86_64'])).stdout, own.stdout);
  const setup = await kittest(['setup', '--arch', 'x86_64', '--dry-run']);
  t.is(setup.exitCode, 0, setup.stderr);

  const run = await kittest(['run', '--arch', 'x86_64', '--case', 'boot,dhcp', '--json', 'report.json', '--summary', 'summary.md']);
  t.is(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(readFileSync(join(app, 'report.json'), 'utf8')) as Report;
  t.deepEqual(report.runs.map((r) => [r.target, r.status, r.cases.map((c) => `${c.id}:${c.status}`)]), [['x86_64', 'passed', ['boot:passed', 'dhcp:passed']]]);
  t.true(readFileSync(join(app, 'summary.md'), 'utf8').includes('| x86\\_64 | ✅ passed | ✅ passed | ✅ passed |'));
  // Built images come from the given cache: none was written under the fresh HOME.
  t.false(existsSync(join(home, '.cache', 'kittest')));
  t.deepEqual(await qemusUnder(tmpdir()), []);
});
