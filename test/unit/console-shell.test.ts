import test from 'ava';
import { ConsoleEngine } from '../../src/console/engine.ts';
import { ConsoleEndedError, ConsoleFailureError, ConsoleTimeoutError, FrameError } from '../../src/console/errors.ts';
import { Shell } from '../../src/console/shell.ts';
import { AssertionFailed, UsageError } from '../../src/errors.ts';
import { FakeGuest, type FakeGuestOptions } from './console-fake-guest.ts';

// An engine and shell wired to a fake guest; the guest is closed when the test ends.
function boot(t: { teardown: (fn: () => void) => void }, options: FakeGuestOptions = {}) {
  let guest: FakeGuest | undefined;
  const engine = new ConsoleEngine({ write: (d) => guest?.input(d) });
  guest = new FakeGuest((chunk) => engine.push(chunk), { noise: true, ...options });
  t.teardown(() => guest?.close());
  const shell = new Shell(engine);
  return { engine, guest, shell };
}

const fast = { timeoutMs: 10_000, probeEveryMs: 100 };

test('finds the shell only once it has started; probes typed before are lost', async (t) => {
  const { guest, shell } = boot(t, { startAfterMs: 450 });
  const found = await shell.findShell(fast);
  t.true(guest.started);
  t.true(found.probes >= 4, `${found.probes} probes`);
  t.regex(guest.lost, /printf '%s_%s\\n' [0-9a-f]{12} ready\r/);
  t.true(found.durationMs >= 400);
  t.is((await shell.run('echo hi')).output, 'hi\n');
});

test('the echo of a probe does not fool findShell', async (t) => {
  const { engine, shell } = boot(t, { neverStart: true });
  const error = await t.throwsAsync(shell.findShell({ timeoutMs: 1500, probeEveryMs: 100 }), { instanceOf: ConsoleTimeoutError });
  t.regex(error?.message ?? '', /a shell to answer \(\d+ probes typed\)/);
  t.regex(error?.message ?? '', /printf '%s_%s\\n' [0-9a-f]{12} ready/);
  t.regex(engine.slice(0), /[0-9a-f]{12} ready/);
});

test('decodes output exactly through 1-byte chunks, colours, cursor queries and kernel messages mid-line', async (t) => {
  const { engine, guest, shell } = boot(t, { chunking: 'bytes', printk: true });
  await shell.findShell(fast);
  const script = String.raw`printf 'héllo ☃ wörld\n'; printf 'tab\there\r\n'; i=0; while [ $i -lt 40 ]; do echo "line $i: abcdefghijklmnopqrstuvwxyz"; i=$((i+1)); done; printf 'no newline at end'`;
  const r = await shell.run(script);
  let expected = 'héllo ☃ wörld\ntab\there\r\n';
  for (let i = 0; i < 40; i++) expected += `line ${i}: abcdefghijklmnopqrstuvwxyz\n`;
  expected += 'no newline at end';
  t.is(r.output, expected);
  t.is(r.status, 0);
  t.is(r.attempts, 1);
  t.true(engine.queriesAnswered > 0, 'the ESC[6n at each prompt was answered');
  t.true(guest.received.includes('\x1b[1;1R'));
  t.regex(engine.slice(0), /virtio_net virtio0 eth0: renamed/);
});

test('output keeps trailing newlines, binary-ish bytes, stderr, and the exit status', async (t) => {
  const { shell } = boot(t);
  await shell.findShell(fast);
  const r = await shell.run(String.raw`printf 'a\001\002\033[31mred\377\n\n\n'; echo 'Read-only file system' >&2; exit 42`);
  t.is(r.status, 42);
  t.deepEqual(r.bytes, Buffer.from('a\x01\x02\x1b[31mred\xff\n\n\nRead-only file system\n', 'latin1'));
  t.is((await shell.run('false')).status, 1);
  t.is((await shell.run('exit 255')).status, 255);
  t.is((await shell.run('true')).output, '');
});

test('commands that read stdin neither hang nor eat the next command', async (t) => {
  const { shell } = boot(t);
  await shell.findShell(fast);
  t.is((await shell.run('cat; echo after-cat')).output, 'after-cat\n');
  t.is((await shell.run('echo next')).output, 'next\n');
});

test('a corrupted frame is run again; too many corruptions fail clearly', async (t) => {
  const { shell } = boot(t, { corruptFrames: 1 });
  await shell.findShell(fast);
  const r = await shell.run('seq 1 200');
  t.is(r.attempts, 2);
  t.is(r.output.split('\n')[199], '200');

  const bad = boot(t, { corruptFrames: 3 });
  await bad.shell.findShell(fast);
  const error = await t.throwsAsync(bad.shell.run('seq 1 200'), { instanceOf: FrameError });
  t.regex(error?.message ?? '', /after 3 attempt\(s\): md5 mismatch/);
});

test('a long script is typed in pieces and runs intact; a huge one is refused', async (t) => {
  const { guest, shell } = boot(t);
  await shell.findShell(fast);
  const lines = Array.from({ length: 300 }, (_, i) => `echo "piece ${i} ✓"`);
  const r = await shell.run(lines.join('\n'));
  t.is(r.output, lines.map((_, i) => `piece ${i} ✓\n`).join(''));
  for (const l of guest.executed) t.true(Buffer.byteLength(l) < 1000);
  await t.throwsAsync(shell.run('x'.repeat(70_000)), { instanceOf: UsageError, message: /maxScriptBytes/ });
});

test('the via wrapper wraps the inner shell', async (t) => {
  const { shell } = boot(t);
  await shell.findShell(fast);
  const r = await shell.run('echo "in $0"', { via: (c) => `env KT_VIA=1 ${c}` });
  t.is(r.output, 'in sh\n');
  t.is(await shell.succeed('echo $KT_VIA', { via: (c) => `env KT_VIA=yes ${c}` }), 'yes\n');
});

test('succeed, fail and waitUntilSucceeds give verdicts with the evidence', async (t) => {
  const { shell } = boot(t);
  await shell.findShell(fast);
  t.is(await shell.succeed('echo ok'), 'ok\n');
  const e1 = await t.throwsAsync(shell.succeed('touch /proc/x'), { instanceOf: AssertionFailed });
  t.regex(e1?.message ?? '', /failed with exit status 1/);
  t.regex(e1?.evidence ?? '', /touch/);
  t.regex(await shell.fail('echo nope; exit 2'), /nope/);
  await t.throwsAsync(shell.fail('true'), { instanceOf: AssertionFailed, message: /expected to fail/ });

  const flag = `/tmp/kittest-flag-${process.pid}-${Date.now()}`;
  setTimeout(() => void shell.run(`touch ${flag}`), 300);
  t.is(await shell.waitUntilSucceeds(`test -e ${flag} && echo there && rm ${flag}`, { timeoutMs: 5000, intervalMs: 50 }), 'there\n');
  const e2 = await t.throwsAsync(shell.waitUntilSucceeds('echo "still not"; exit 3', { timeoutMs: 400, intervalMs: 100 }), {
    instanceOf: AssertionFailed,
  });
  t.regex(e2?.message ?? '', /did not succeed within 400 ms \(\d+ attempts\); last exit status 3/);
  t.regex(e2?.message ?? '', /still not/);
});

test('a command that hangs times out with the last lines, and the shell stays usable', async (t) => {
  const { shell } = boot(t);
  await shell.findShell(fast);
  const error = await t.throwsAsync(shell.run('echo started; sleep 1', { timeoutMs: 200 }), { instanceOf: ConsoleTimeoutError });
  t.regex(error?.message ?? '', /waiting for command "echo started; sleep 1" to finish/);
  t.is((await shell.run('echo later', { timeoutMs: 5000 })).output, 'later\n');
});

test('a kernel panic during a command rejects it within a second, quoting the line', async (t) => {
  const { engine, guest, shell } = boot(t);
  await shell.findShell(fast);
  const failures: string[] = [];
  engine.onFailure((f) => failures.push(f.line));
  const pending = shell.run('sleep 30', { timeoutMs: 60_000 });
  const started = Date.now();
  setTimeout(() => guest.kernel('[   20.000000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\r\n'), 100);
  const error = await t.throwsAsync(pending, { instanceOf: ConsoleFailureError });
  t.true(Date.now() - started < 1100);
  t.regex(error?.message ?? '', /Attempted to kill init! exitcode=0x0000000b/);
  await new Promise((r) => setTimeout(r, 400));
  // The fake tty echoes the answer to the prompt's ESC[6n (^[[1;1R) just before the panic.
  t.is(failures.length, 1);
  t.regex(failures[0] ?? '', /\[   20\.000000\] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b$/);
});

test('the console ending rejects a running command at once', async (t) => {
  const { engine, shell } = boot(t);
  await shell.findShell(fast);
  const pending = shell.run('sleep 30', { timeoutMs: 60_000 });
  setTimeout(() => engine.end('qemu exited (signal SIGKILL)', { infrastructure: true }), 50);
  const started = Date.now();
  const error = await t.throwsAsync(pending, { instanceOf: ConsoleEndedError });
  t.true(Date.now() - started < 1000);
  t.true(error?.infrastructure);
});

test('logs in when a login prompt appears', async (t) => {
  let guest: FakeGuest | undefined;
  let loggedIn = false;
  const typed: string[] = [];
  const engine = new ConsoleEngine({
    write: (d) => {
      if (loggedIn) return guest?.input(d);
      typed.push(d);
      if (d === 'root\r') guest?.kernel('root\r\nPassword: ');
      else if (d === 'secret\r') {
        loggedIn = true;
        guest?.kernel('\r\n');
      } else guest?.kernel('\r\nLogin incorrect\r\nkittest login: ');
    },
  });
  guest = new FakeGuest((c) => engine.push(c));
  t.teardown(() => guest?.close());
  guest.kernel('Welcome\r\nkittest login: ');
  const shell = new Shell(engine);
  await shell.findShell({ ...fast, login: { promptPattern: /login: $/, user: 'root', password: 'secret' } });
  t.true(loggedIn);
  t.true(typed.includes('root\r'));
  t.is(await shell.succeed('echo in'), 'in\n');
});
