// kittest run --keep-failed through a real pty, on a real guest: the failed case's evidence, then
// the failed machine's console; a command typed there answers; Ctrl-] powers it off, and the run
// still ends as a failed run with its reports written.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import type { Report } from '../../src/report/model.ts';
import { kittestBin } from '../helpers/cli.ts';
import { brokenImage } from '../helpers/images.ts';

/** QEMU processes whose parent is `pid` (kittest starts QEMU itself). */
function qemuChildren(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && comm.startsWith('qemu-system')) found.push(Number(entry));
    } catch {
      // The process ended while /proc was read.
    }
  }
  return found;
}

const alive = (pid: number) => existsSync(join('/proc', String(pid)));

test('run --keep-failed prints the failed case\'s evidence, hands over the console, and Ctrl-] powers off and writes the reports', async (t) => {
  // no-rngd fails rng (no process holds /dev/hwrng); boot and rng alone keep the run short.
  const prefix = await brokenImage('no-rngd');
  const dir = mkdtempSync(join(tmpdir(), 'kt-keep-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const json = join(dir, 'r.json');
  const artifacts = join(dir, 'artifacts');
  const term = pty.spawn(process.execPath, [kittestBin, 'run', '--keep-failed', '--arch', 'x86_64', '--image', prefix, '--case', 'boot,rng', '--json', json, '--artifacts', artifacts], {
    cols: 160,
    rows: 40,
    env: { ...process.env, NO_COLOR: '1' } as Record<string, string>,
  });
  let screen = '';
  term.onData((d) => (screen += d));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  let done = false;
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

  await waitFor(/kittest: x86_64 is kept running \(--keep-failed\); this is its console \(ttyS0\)\. Ctrl-\] leaves/, 150_000);
  // The failed case's message and evidence come above the console.
  t.regex(screen, /kittest: x86_64: case rng failed: no process holds \/dev\/hwrng \(10:183\) open/);
  t.regex(screen, /  evidence:\r?\n {4}\S/);
  t.notRegex(screen, /case boot failed/, 'only failed cases are shown');
  // The machine is still the run's: QEMU runs as kittest's child while the person is on its console.
  const [qemu] = qemuChildren(term.pid);
  t.truthy(qemu, 'QEMU runs while the console is held');

  // Type into the guest until it answers: the echo of what was typed reads "NONCE typed", only the shell prints "NONCE_typed".
  const nonce = randomBytes(6).toString('hex');
  const answered = new RegExp(`${nonce}_typed`);
  const end = Date.now() + 30_000;
  while (!answered.test(screen) && Date.now() < end && !done) {
    term.write(`printf '%s_%s\\n' ${nonce} typed\r`);
    await waitFor(answered, 3000).catch(() => {});
  }
  t.regex(screen, answered, `the guest answered on the kept console; screen ends: ${screen.slice(-800)}`);
  t.true(screen.indexOf('evidence:') < screen.search(answered), 'the evidence is printed above the console');

  term.write('\x1d');
  t.is(await exited, 1, `a failed run exits 1; screen ends: ${screen.slice(-1500)}`);
  t.regex(screen, /left the console, powering x86_64 off/);
  t.false(alive(qemu!), 'QEMU is gone once kittest has exited');

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
