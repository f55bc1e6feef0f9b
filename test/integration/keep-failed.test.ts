// kittest run --keep-failed through a real pty, on real guests: the failed case's evidence, then
// the failed machine's console; a command typed there answers; Ctrl-] powers it off, and the run
// still ends as a failed run with its reports written. With --jobs 2 only the first failed
// machine is kept and the other run goes on.
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import type { Report } from '../../src/report/model.ts';
import { kittestBin } from '../helpers/cli.ts';
import { brokenImage } from '../helpers/images.ts';
import { qemusUnder } from '../helpers/qemu-processes.ts';

/**
 * kittest under a real pty: what it has printed so far, a wait for a pattern, its exit code. Its
 * TMPDIR is `tmp`, so its QEMUs are found by their run folders there (qemusUnder), whatever their
 * parent: one left behind by a kittest that has exited would have been reparented.
 */
function spawnOnPty(t: ExecutionContext, tmp: string, args: readonly string[]) {
  const term = pty.spawn(process.execPath, [kittestBin, ...args], {
    cols: 160,
    rows: 40,
    env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp } as Record<string, string>,
  });
  let screen = '';
  let done = false;
  term.onData((d) => (screen += d));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  void exited.then(() => (done = true));
  t.teardown(() => {
    if (!done) term.kill('SIGKILL');
  });
  const waitFor = async (re: RegExp, ms: number) => {
    const end = Date.now() + ms;
    while (!re.test(screen)) {
      if (done || Date.now() > end) throw new Error(`${done ? 'kittest exited' : 'timed out'} waiting for ${re}; screen ends: ${screen.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return {
    term,
    exited,
    waitFor,
    get screen() {
      return screen;
    },
    get done() {
      return done;
    },
  };
}

/** Type into the kept console until the guest answers: the echo reads "NONCE typed", only the shell prints "NONCE_typed". */
async function typeUntilAnswered(session: ReturnType<typeof spawnOnPty>): Promise<RegExp> {
  const nonce = randomBytes(6).toString('hex');
  const answered = new RegExp(`${nonce}_typed`);
  const end = Date.now() + 30_000;
  while (!answered.test(session.screen) && Date.now() < end && !session.done) {
    session.term.write(`printf '%s_%s\\n' ${nonce} typed\r`);
    await session.waitFor(answered, 3000).catch(() => {});
  }
  return answered;
}

test.serial('run --keep-failed prints the failed case\'s evidence, hands over the console, and Ctrl-] powers off and writes the reports', async (t) => {
  // no-rngd fails rng (no process reads /dev/hwrng or feeds the pool); boot and rng alone keep the run short.
  const prefix = await brokenImage('no-rngd');
  const dir = mkdtempSync(join(tmpdir(), 'kt-keep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const json = join(dir, 'r.json');
  const artifacts = join(dir, 'artifacts');
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const session = spawnOnPty(t, tmp, ['run', '--keep-failed', '--arch', 'x86_64', '--image', prefix, '--case', 'boot,rng', '--json', json, '--artifacts', artifacts]);
  const { term, waitFor } = session;

  await waitFor(/kittest: x86_64 is kept running \(--keep-failed\); this is its console \(ttyS0\)\. Ctrl-\] leaves/, 150_000);
  // The failed case's message and evidence come above the console.
  t.regex(session.screen, /kittest: x86_64: case rng failed: no process reads \/dev\/hwrng \(10:183\)/);
  t.regex(session.screen, /  evidence:\r?\n {4}\S/);
  t.notRegex(session.screen, /case boot failed/, 'only failed cases are shown');
  // The machine is still the run's: its QEMU runs while the person is on its console.
  t.is((await qemusUnder(tmp)).length, 1, 'QEMU runs while the console is held');

  const answered = await typeUntilAnswered(session);
  t.regex(session.screen, answered, `the guest answered on the kept console; screen ends: ${session.screen.slice(-800)}`);
  t.true(session.screen.indexOf('evidence:') < session.screen.search(answered), 'the evidence is printed above the console');

  term.write('\x1d');
  t.is(await session.exited, 1, `a failed run exits 1; screen ends: ${session.screen.slice(-1500)}`);
  t.regex(session.screen, /left the console, powering x86_64 off/);
  t.deepEqual(await qemusUnder(tmp), [], 'QEMU is gone once kittest has exited');
  t.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('kittest-')), [], 'so is its run folder');

  // The reports are written after the person left, and say what the run found.
  const [run] = (JSON.parse(readFileSync(json, 'utf8')) as Report).runs;
  t.is(run!.status, 'failed');
  t.deepEqual(run!.cases.map((c) => [c.id, c.status]), [['boot', 'passed'], ['rng', 'failed']]);
  t.is(typeof run!.timeline['console-kept'], 'number');
  t.is(run!.machineFailure, undefined);
  // The console log goes on while the person is there: what they typed and what the guest answered is kept.
  t.regex(readFileSync(join(artifacts, 'x86_64', 'attempt-1', 'console.log'), 'utf8'), answered);
  t.true(existsSync(join(artifacts, 'x86_64', 'attempt-1', 'report.json')));
});

test.serial('with --jobs 2 only the first failed machine is kept; the other failed run powers off meanwhile, and both are in the reports', async (t) => {
  // Two runs side by side: x86_64 and a vendor twin of it, both on no-rngd, so both fail rng.
  const prefix = await brokenImage('no-rngd');
  const dir = mkdtempSync(join(tmpdir(), 'kt-keep2-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'targets'));
  writeFileSync(join(dir, 'targets', 'twin.yml'), 'extends: x86_64\nname: x86-twin\ndescription: x86_64 again, to run two machines side by side\ndefault: false\n');
  const json = join(dir, 'r.json');
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const session = spawnOnPty(t, tmp, ['run', '--keep-failed', '--jobs', '2', '--targets', join(dir, 'targets'), '--arch', 'x86_64,x86-twin', '--image', prefix, '--case', 'boot,rng', '--json', json]);
  const { term, waitFor } = session;

  await waitFor(/kittest: (x86_64|x86-twin) is kept running \(--keep-failed\)/, 240_000);
  const kept = /kittest: (x86_64|x86-twin) is kept running/.exec(session.screen)![1]!;
  const other = kept === 'x86_64' ? 'x86-twin' : 'x86_64';
  // The other run goes on while the console is held: it fails rng too, stops its machine, and is not kept.
  const end = Date.now() + 120_000;
  while ((await qemusUnder(tmp)).length > 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 500));
  t.is((await qemusUnder(tmp)).length, 1, 'only the kept machine still runs');
  t.is(session.screen.match(/is kept running/g)?.length, 1, 'one machine is kept');
  t.false(session.screen.includes(`kittest: ${other}: case rng failed`), 'a later failed run is not handed over');

  const answered = await typeUntilAnswered(session);
  t.regex(session.screen, answered, `the kept guest answered; screen ends: ${session.screen.slice(-800)}`);

  term.write('\x1d');
  t.is(await session.exited, 1, `screen ends: ${session.screen.slice(-1500)}`);
  t.deepEqual(await qemusUnder(tmp), [], 'no QEMU is left once kittest has exited');
  t.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('kittest-')), []);
  const runs = (JSON.parse(readFileSync(json, 'utf8')) as Report).runs;
  t.deepEqual(runs.map((r) => [r.target, r.status, r.cases.map((c) => `${c.id} ${c.status}`).join(', ')]).sort(), [
    ['x86-twin', 'failed', 'boot passed, rng failed'],
    ['x86_64', 'failed', 'boot passed, rng failed'],
  ]);
  t.is(typeof runs.find((r) => r.target === kept)!.timeline['console-kept'], 'number');
  t.is(runs.find((r) => r.target === other)!.timeline['console-kept'], undefined);
});
