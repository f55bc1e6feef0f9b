import test from 'ava';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../../src/config/paths.ts';
import { buildOnce } from '../../src/util/build-once.ts';
import { acquireLock, withFileLock } from '../../src/util/file-lock.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fresh = () => mkdtempSync(join(tmpdir(), 'kt-once-'));

test('two concurrent holders of one lock never overlap', async (t) => {
  const lock = join(fresh(), 'x.lock');
  let inside = 0;
  let most = 0;
  const section = () =>
    withFileLock(lock, async () => {
      inside++;
      most = Math.max(most, inside);
      await sleep(150);
      inside--;
    });
  await Promise.all([section(), section(), section()]);
  t.is(most, 1);
});

test('a waiter is told who holds the lock', async (t) => {
  const lock = join(fresh(), 'x.lock');
  const release = await acquireLock(lock);
  const heard: string[] = [];
  const waiting = withFileLock(lock, async () => 'got it', (holder) => heard.push(holder));
  await sleep(1300);
  await release();
  t.is(await waiting, 'got it');
  t.is(heard.length, 1);
  t.regex(heard[0]!, new RegExp(`^pid ${process.pid} on \\S+ since \\d{4}-`));
});

test('a lock whose holding process is killed is free at once', async (t) => {
  const lock = join(fresh(), 'x.lock');
  const script = join(fresh(), 'holder.mts');
  writeFileSync(script, `import { acquireLock } from ${JSON.stringify(join(projectRoot, 'src', 'util', 'file-lock.ts'))};\nawait acquireLock(${JSON.stringify(lock)});\nconsole.log('held');\nsetInterval(() => {}, 1000);\n`);
  const holder = spawn(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
  let got = false;
  const waiting = withFileLock(lock, async () => {
    got = true;
  });
  await sleep(300);
  t.false(got, 'the lock is held while its holder lives');
  const started = Date.now();
  holder.kill('SIGKILL');
  await waiting;
  t.true(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

test('two concurrent builds of one folder make it once and both get it', async (t) => {
  const dir = join(fresh(), 'image');
  let made = 0;
  const build = () =>
    buildOnce(
      dir,
      (d) => existsSync(join(d, 'done')),
      async ({ out, scratch }) => {
        made++;
        writeFileSync(join(scratch, 'work'), 'x');
        await sleep(200);
        writeFileSync(join(out, 'done'), 'yes');
      },
    );
  const results = await Promise.all([build(), build()]);
  t.is(made, 1);
  t.deepEqual([...results].sort(), [false, true]);
  t.is(readFileSync(join(dir, 'done'), 'utf8'), 'yes');
  t.deepEqual(readdirSync(join(dir, '..')).sort(), ['image', 'image.lock']);
});

test('a failed build leaves nothing behind, and the next one builds', async (t) => {
  const dir = join(fresh(), 'image');
  const done = (d: string) => existsSync(join(d, 'done'));
  await t.throwsAsync(
    buildOnce(dir, done, async ({ out }) => {
      writeFileSync(join(out, 'half'), 'x');
      throw new Error('mksquashfs failed');
    }),
    { message: 'mksquashfs failed' },
  );
  t.deepEqual(readdirSync(join(dir, '..')), ['image.lock']);
  t.false(await buildOnce(dir, done, async ({ out }) => writeFileSync(join(out, 'done'), 'yes')));
  t.true(done(dir));
});

test('leftovers of a killed build and an unfinished folder are removed before building', async (t) => {
  const parent = fresh();
  const dir = join(parent, 'image');
  mkdirSync(join(parent, 'image.tmp-999999-deadbeef', 'out'), { recursive: true });
  mkdirSync(dir);
  writeFileSync(join(dir, 'stale'), 'from an older build');
  t.false(await buildOnce(dir, (d) => existsSync(join(d, 'done')), async ({ out }) => writeFileSync(join(out, 'done'), 'yes')));
  t.deepEqual(readdirSync(dir), ['done']);
  t.deepEqual(readdirSync(parent).sort(), ['image', 'image.lock']);
});

test('two kittest processes sharing one cache both succeed, and only one builds', async (t) => {
  const parent = fresh();
  const log = join(parent, 'log');
  const script = join(parent, 'child.mts');
  writeFileSync(
    script,
    `import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce } from ${JSON.stringify(join(projectRoot, 'src', 'util', 'build-once.ts'))};
const dir = ${JSON.stringify(join(parent, 'image'))};
const cached = await buildOnce(dir, (d) => existsSync(join(d, 'done')), async ({ out }) => {
  appendFileSync(${JSON.stringify(log)}, 'made by ' + process.pid + '\\n');
  await new Promise((resolve) => setTimeout(resolve, 500));
  writeFileSync(join(out, 'done'), 'yes');
});
appendFileSync(${JSON.stringify(log)}, (cached ? 'found by ' : 'built by ') + process.pid + '\\n');
`,
  );
  appendFileSync(log, '');
  const child = () => execa(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, reject: false });
  const [a, b] = await Promise.all([child(), child()]);
  t.is(a.exitCode, 0, String(a.stderr));
  t.is(b.exitCode, 0, String(b.stderr));
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  t.is(lines.filter((l) => l.startsWith('made by ')).length, 1, lines.join('; '));
  t.is(lines.filter((l) => l.startsWith('built by ')).length, 1, lines.join('; '));
  t.is(lines.filter((l) => l.startsWith('found by ')).length, 1, lines.join('; '));
});
