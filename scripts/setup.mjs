#!/usr/bin/env node
// Set-up shared by `npm start`, `npm test` and `npm run bench`: installs what is missing
// (npm dependencies, Debian packages), then builds the reference images when asked (--images).
// Quick when everything is in place: it only compares timestamps and asks dpkg.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, aptInstallCommand, hostPackages, installedPackages } from './host-packages.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

function fail(message) {
  process.stderr.write(`kittest setup: ${message}\n`);
  process.exit(2);
}

function say(message) {
  process.stderr.write(`kittest setup: ${message}\n`);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 6)) fail(`Node ${process.versions.node} is too old: kittest needs Node 20.6 or newer`);
}

function ensureNpmDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs && existsSync(join(root, 'node_modules', 'node-pty', 'build'));
  if (fresh) return;
  say('installing npm dependencies (npm ci)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail('npm ci failed (is the npm registry reachable?)');
}

/** Every target's packages (targets/*.yml, read with yaml once the npm dependencies are in), the tools and the test tools. */
async function debianPackages() {
  const { parse } = await import('yaml');
  const dir = join(root, 'targets');
  const targets = readdirSync(dir).filter((f) => f.endsWith('.yml')).sort().map((f) => parse(readFileSync(join(dir, f), 'utf8')));
  return hostPackages(targets, { tests: true });
}

function missingDebianPackages(wanted) {
  const installed = installedPackages([...wanted.keys()]);
  if (!installed) fail('dpkg-query not found: kittest needs a Debian-based host');
  return [...wanted.keys()].filter((n) => !installed.has(n));
}

async function ensureDebianPackages() {
  const wanted = await debianPackages();
  const missing = missingDebianPackages(wanted);
  if (missing.length === 0) return;
  const described = missing.map((p) => `${p} (${wanted.get(p)})`).join(', ');
  if (process.getuid?.() !== 0) fail(`missing Debian packages: ${described}; run as root: ${aptInstallCommand(missing)}`);
  say(`installing Debian packages: ${missing.join(' ')}`);
  const problem = aptInstall(missing);
  if (problem) fail(problem);
  const still = missingDebianPackages(wanted);
  if (still.length) fail(`Debian packages still missing after apt-get install: ${still.join(' ')}`);
}

function buildImages() {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'kittest.js'), 'build', '--arch', 'all'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

checkNode();
ensureNpmDependencies();
await ensureDebianPackages();
if (args.has('--images')) buildImages();
