// Faults: panics, hangs, a killed QEMU, a console flood, hostile escape sequences, a full disk.
import test from 'ava';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Machine } from '../../src/qemu/machine.ts';
import type { Report } from '../../src/report/model.ts';
import { runBounded } from '../../src/matrix/schedule.ts';
import { withInfraRetries } from '../../src/matrix/with-retries.ts';
import { isInfrastructureFault } from '../../src/report/status.ts';
import { busyboxImage, shellInit } from '../helpers/images.ts';
import { runImage, targetWith } from '../helpers/run.ts';
import { kittest } from '../helpers/cli.ts';

const x86 = targetWith('x86_64');
/** An init that prints one line and then never answers. */
const hangInit = '#!/bin/busybox sh\necho "kittest-fixture: about to hang"\nexec /bin/busybox sleep 100000\n';

test.serial('a kernel panic ends the run within a second of the panic line, quoting it', async (t) => {
  // An initramfs without any init: the kernel panics with "No working init found".
  const prefix = await busyboxImage('no-init', '', 'panic=0');
  const report = await runImage(prefix, x86);
  const boot = report.cases[0]!;
  t.is(boot.status, 'failed');
  t.regex(boot.message, /Kernel panic - not syncing/);
  const log = readFileSync(join(report.artifactsDir, 'console.log'), 'utf8');
  const panicAt = Number(/\[\+(\d+\.\d+)s\] [^\n]*Kernel panic - not syncing/.exec(log)?.[1]);
  t.true(Number.isFinite(panicAt), 'the panic line is in the console log');
  const verdictAt = report.timeline['console-first-byte']! - report.timeline['console-first-byte']! + boot.durationMs;
  t.log(`panic at ${panicAt} s, verdict at ${(verdictAt / 1000).toFixed(3)} s`);
  t.true(verdictAt - panicAt * 1000 < 1000, `verdict ${verdictAt} ms, panic ${panicAt * 1000} ms`);
});

test.serial('a guest that hangs fails at the boot timeout, quoting the last console lines', async (t) => {
  const prefix = await busyboxImage('hang', hangInit);
  const started = Date.now();
  const report = await runImage(prefix, targetWith('x86_64', (x) => ({ timeouts: { ...x.timeouts, bootMs: 20_000 } })));
  const boot = report.cases[0]!;
  t.is(boot.status, 'failed');
  t.regex(boot.message, /timed out after 20000 ms/);
  t.regex(boot.message, /the boot stopped after the init stage; the console has been silent for \d+\.\d s/);
  t.regex(boot.evidence, /kittest-fixture: about to hang/);
  t.true(Date.now() - started < 40_000);
});

test.serial("a target's silence limit calls a hang early, though kittest's probes are still echoed", async (t) => {
  const prefix = await busyboxImage('hang', hangInit);
  const report = await runImage(prefix, targetWith('x86_64', (x) => ({ timeouts: { ...x.timeouts, bootMs: 120_000, silenceMs: 6_000 } })));
  const boot = report.cases[0]!;
  t.is(boot.status, 'failed');
  t.regex(boot.message, /silent for 6 s, the target's silenceMs/);
  t.regex(boot.message, /after the init stage/);
  t.true(boot.durationMs < 60_000, `called after ${boot.durationMs} ms, not at the 120 s boot timeout`);
});

test.serial('QEMU killed from outside errors with its exit status while the other runs go on', async (t) => {
  // The killed guest hangs after its first line, so its boot case can only end by the kill (a shell image
  // could answer before the timer fires on a quiet machine and pass).
  const hang = await busyboxImage('hang', hangInit);
  const prefix = await busyboxImage('shell', shellInit());
  const reports = await runBounded([true, false], 2, (kill) =>
    runImage(kill ? hang : prefix, x86, [], {
      onMachine: kill
        ? (machine) => {
            const timer = setInterval(() => {
              if (machine.running && machine.pid) {
                process.kill(machine.pid, 'SIGKILL');
                clearInterval(timer);
              }
            }, 4000);
          }
        : undefined,
    }),
  );
  t.is(reports[0]!.cases[0]!.status, 'error');
  t.regex(reports[0]!.cases[0]!.message, /QEMU ended with killed by SIGKILL/);
  t.is(reports[1]!.cases[0]!.status, 'passed');
});

test.serial('QEMU killed before its first output is retried once and the run is reported flaky', async (t) => {
  const prefix = await busyboxImage('shell', shellInit());
  const attempts: number[] = [];
  const report = await withInfraRetries(
    (attempt) => {
      attempts.push(attempt);
      return runImage(prefix, x86, [], { onMachine: attempt === 1 ? (machine) => process.kill(machine.pid!, 'SIGKILL') : undefined });
    },
    isInfrastructureFault,
    1,
  );
  t.deepEqual(attempts, [1, 2]);
  t.is(report.status, 'flaky');
  t.is(report.attempts, 2);
  t.regex(report.message ?? '', /retried after attempt 1/);
});

test.serial('a console flood keeps memory bounded and the log capped, and the run completes', async (t) => {
  // A serial line under TCG carries ~60 kB/s: 3 MB proves the cap and the bound without taking minutes;
  // the engine's own 50 MB flood test is in test/unit/console-engine.test.ts.
  const megabytes = 3;
  const prefix = await busyboxImage('flood', shellInit(`yes 'kittest flood 0123456789abcdefghijklmnopqrstuvwxyz' | head -c ${megabytes}000000`));
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  const report = await runImage(prefix, targetWith('x86_64', (x) => ({ timeouts: { ...x.timeouts, bootMs: 600_000 } })), [], { logMaxBytes: 1024 * 1024 });
  clearInterval(sampler);
  t.is(report.cases[0]!.status, 'passed', report.cases[0]!.message);
  const log = join(report.artifactsDir, 'console.log');
  t.true(statSync(log).size < 1024 * 1024 + 4096);
  const tail = readFileSync(log, 'utf8').trim().split('\n').pop() ?? '';
  t.regex(tail, /console log capped at 1048576 bytes: \d+ more bytes of console output were cut/);
  t.log(`flood of ${megabytes} MB: RSS grew by ${((peak - before) / 1048576).toFixed(0)} MiB`);
  t.true(peak - before < 200 * 1048576, `RSS grew by ${peak - before} bytes`);
});

test.serial("the guest's escape sequences never reach the user's terminal raw", async (t) => {
  // The init prints a title change, a screen clear, a colour and a right-to-left override with no newline,
  // then exits: the kernel's "Attempted to kill init!" panic lands on the same console line, and that
  // line is the boot case's failure message, which kittest prints.
  const init = "#!/bin/busybox sh\nprintf '\\033]0;pwned\\007\\033[2J\\033[31mred-from-guest \\342\\200\\256txet-desrever\\033[0m '\nexit 1\n";
  const prefix = await busyboxImage('escapes', init, 'panic=-1');
  const r = await kittest(['run', '--image', prefix, '--case', 'boot']);
  t.is(r.exitCode, 1, String(r.stderr));
  const out = `${String(r.stdout)}${String(r.stderr)}`;
  // Whether the guest's text shares the panic's console line depends on timing; either way no raw escape may pass.
  t.regex(out, /Kernel panic - not syncing: Attempted to kill init!/);
  t.false(out.includes('\x1b'), 'no raw ESC');
  t.false(out.includes('\u202e'), 'no raw bidi override');
  if (out.includes('red-from-guest')) t.true(out.includes('\\u202etxet-desrever'), 'the override is shown escaped');
});

const asRoot = process.getuid?.() === 0 ? test.serial : test.serial.skip;

asRoot('a disk that fills up during a run ends it with error verdicts naming the file, stops QEMU and removes its folder', async (t) => {
  const prefix = await busyboxImage('shell', shellInit());
  // 16 KiB: the QEMU command line files take a page each, the console log fills the rest during the boot.
  const artifacts = mkdtempSync(join(tmpdir(), 'kt-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', artifacts]);
  t.teardown(() => {
    execFileSync('umount', [artifacts]);
    rmSync(artifacts, { recursive: true, force: true });
  });
  let machine: Machine | undefined;
  const report = await runImage(prefix, x86, ['boot', 'rng'], { artifactsDir: artifacts, onMachine: (m) => (machine = m) });
  const why = `writing ${join(artifacts, 'console.log')} failed: ENOSPC (no space left on device)`;
  t.is(report.status, 'error');
  t.is(report.hostError, why);
  t.deepEqual(
    report.cases.map((c) => [c.id, c.status, c.message]),
    [
      ['boot', 'error', why],
      ['rng', 'error', `not run: ${why}`],
    ],
  );
  t.throws(() => process.kill(machine!.pid!, 0), { code: 'ESRCH' }, 'QEMU is gone');
  t.false(existsSync(machine!.runDir), 'the run folder is removed');
});

test.serial('kittest run on a full disk writes the reports it can, says why on one line and exits 1', async (t) => {
  const prefix = await busyboxImage('shell', shellInit());
  const tmp = mkdtempSync(join(tmpdir(), 'kt-full-cli-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  // /dev/full opens for writing and fails every write with ENOSPC.
  const attempt = join(tmp, 'artifacts', 'x86_64', 'attempt-1');
  mkdirSync(attempt, { recursive: true });
  symlinkSync('/dev/full', join(attempt, 'console.log'));
  const json = join(tmp, 'report.json');
  const junit = join(tmp, 'junit.xml');
  const r = await kittest(['run', '--image', prefix, '--case', 'boot', '--json', json, '--junit', junit, '--artifacts', join(tmp, 'artifacts')], { TMPDIR: tmp });
  const why = `writing ${join(attempt, 'console.log')} failed: ENOSPC (no space left on device)`;
  t.is(r.exitCode, 1, String(r.stderr));
  t.is(String(r.stderr).split('\n').at(-1), `kittest: ${why}`);
  t.notRegex(String(r.stderr), /\n\s+at /, 'no stack trace');
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  t.is(report.runs[0]!.cases[0]!.status, 'error');
  t.is(report.runs[0]!.cases[0]!.message, why);
  t.regex(readFileSync(junit, 'utf8'), /ENOSPC/);
  t.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('kittest-')), [], 'no run folder left');
  const qemus = await execa('pgrep', ['-f', `qemu-system.*${tmp}/kittest-`], { reject: false });
  t.is(String(qemus.stdout), '', 'no QEMU left');
});
