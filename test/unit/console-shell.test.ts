import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConsoleEngine } from '../../src/console/engine.ts';
import { ConsoleEndedError, ConsoleFailureError, ConsoleTimeoutError, FrameError } from '../../src/console/errors.ts';
import { Shell } from '../../src/console/shell.ts';
import { retryUntilSucceeds } from '../../src/console/verbs.ts';
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

test('a long script typed gzipped runs intact, through the via wrapper, with the plain one\'s output and status', async (t) => {
  const { guest, shell } = boot(t, { chunking: 'random' });
  await shell.findShell(fast);
  const lines = Array.from({ length: 300 }, (_, i) => `echo "piece ${i} ✓"`);
  const script = `${lines.join('\n')}\necho "in $KT_VIA" >&2; exit 7`;
  const via = (c: string) => `env KT_VIA=nsenter ${c}`;
  const plain = await shell.run(script, { via });
  const typedBefore = guest.received.join('').length;
  const packed = await shell.run(script, { via, gzip: true });
  t.is(packed.output, plain.output);
  t.is(packed.status, 7);
  t.true(packed.output.endsWith('in nsenter\n'));
  t.true(guest.executed.some((line) => line.includes('gzip -dc')));
  // What gzip is for: far fewer characters typed.
  t.true(guest.received.join('').length - typedBefore < typedBefore / 3, `${guest.received.join('').length - typedBefore} vs ${typedBefore}`);
  // A short script stays plain: the gzip process would cost more than the typing it saves.
  const executed = guest.executed.length;
  t.is((await shell.run('echo hi', { gzip: true })).output, 'hi\n');
  t.false(guest.executed.slice(executed).some((line) => line.includes('gzip -dc')));
});

test('a gzipped script that arrives damaged does not run: it is typed again, and runs once', async (t) => {
  const { guest, shell } = boot(t, { garbleTyped: 1 });
  await shell.findShell(fast);
  const lines = Array.from({ length: 300 }, (_, i) => `echo "piece ${i}"`);
  const runs = join(mkdtempSync(join(tmpdir(), 'kt-gzip-')), 'runs');
  const r = await shell.run(`${lines.join('\n')}\necho ran >> "$KT_RUNS"`, { gzip: true, via: (c) => `env KT_RUNS=${runs} ${c}` });
  t.is(r.attempts, 2);
  t.is(r.output.split('\n').length, 301);
  t.is(readFileSync(runs, 'utf8'), 'ran\n');
  t.true(guest.executed.at(-1)?.includes('gzip -dc'));

  const always = boot(t, { garbleTyped: 10 });
  await always.shell.findShell(fast);
  const error = await t.throwsAsync(always.shell.run(lines.join('\n'), { gzip: true }), { instanceOf: FrameError });
  t.regex(error?.message ?? '', /after 3 attempt\(s\): the guest could not unpack the gzipped script \(".*(?:crc|invalid|corrupt|format).*"\)/i);
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

test('the retry loop bounds each attempt by what is left of the deadline and starts none after it', async (t) => {
  let clock = 0;
  const given: number[] = [];
  const failing = async (ms: number) => {
    given.push(ms);
    clock += 2000;
    return { status: 1, output: `attempt ${given.length}` };
  };
  const options = { timeoutMs: 5000, intervalMs: 1, attemptTimeoutMs: 4000, now: () => clock };
  t.deepEqual(await retryUntilSucceeds(failing, options), { succeeded: false, last: { status: 1, output: 'attempt 3' }, attempts: 3 });
  t.deepEqual(given, [4000, 3000, 1000], 'the last attempt still gets 1 s');

  clock = 0;
  let n = 0;
  const secondWorks = async () => ({ status: ++n === 2 ? 0 : 1, output: `attempt ${n}` });
  t.deepEqual(await retryUntilSucceeds(secondWorks, options), { succeeded: true, output: 'attempt 2' });
});

test('a command that hangs times out with the last lines, and the shell stays usable', async (t) => {
  const { shell } = boot(t);
  await shell.findShell(fast);
  const error = await t.throwsAsync(shell.run('echo started; sleep 1', { timeoutMs: 200 }), { instanceOf: ConsoleTimeoutError });
  t.regex(error?.message ?? '', /waiting for command "echo started; sleep 1" to finish/);
  t.is((await shell.run('echo later', { timeoutMs: 5000 })).output, 'later\n');
});

test('a kernel panic during a command rejects it at once, not at its timeout, quoting the line', async (t) => {
  const { engine, guest, shell } = boot(t);
  await shell.findShell(fast);
  const failures: string[] = [];
  engine.onFailure((f) => failures.push(f.line));
  const pending = shell.run('sleep 30', { timeoutMs: 60_000 });
  // Timed from the moment the panic line arrives, so a busy machine's late timer does not count.
  let panicAt = Number.POSITIVE_INFINITY;
  setTimeout(() => {
    panicAt = Date.now();
    guest.kernel('[   20.000000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\r\n');
  }, 100);
  const error = await t.throwsAsync(pending, { instanceOf: ConsoleFailureError });
  // The command would run 30 s; the time to a verdict itself is the benchmark's to measure (npm run bench).
  t.true(Date.now() - panicAt < 5000, `rejected ${Date.now() - panicAt} ms after the panic line`);
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

// ---- Another writer on the console ----

const COLOURED = (n: number): string => `\x1b[33mchatty[${n}]: tick \x1b[1;32mOK\x1b[0m\r\n`;
const BASE64_LINE = /^[A-Za-z0-9+/]+$/;

/**
 * A chatty service: one foreign text per base64 line, by turns a coloured line before it, one in
 * its middle, pieces without newline, a line of base64 characters only, nothing; also right after
 * the begin marker, inside the first copy of each end line, and inside every ack of a piece.
 * (The shell's line so far may start with the prompt: markers are matched at its end.)
 */
function chattyService(): { chatter: (line: string) => string | undefined; count: () => number } {
  let tick = 0;
  let turn = 0;
  let endCopies = 0;
  const say = (text: string): string => {
    tick++;
    return text;
  };
  const chatter = (line: string): string | undefined => {
    if (/[0-9a-f]{12}_b$/.test(line)) return say(COLOURED(tick));
    if (/[0-9a-f]{12}_c$/.test(line)) return say(`chatty-${tick} `);
    if (/[0-9a-f]{12}_e_\d+_[0-9a-f]{7}$/.test(line)) return endCopies++ % 2 === 0 ? say(COLOURED(tick)) : undefined;
    if (line === '') turn++;
    const at = (col: number): boolean => line.length === col && BASE64_LINE.test(line);
    switch (turn % 6) {
      case 0:
        return line === '' ? say(COLOURED(tick)) : undefined;
      case 1:
        return at(30) ? say(COLOURED(tick)) : undefined;
      case 2:
        return at(50) ? say(`chatty-${tick} `) : undefined;
      case 3:
        return at(17) ? say(`chattytick${tick}\r\n`) : undefined;
      case 4:
        return at(60) ? say(`\x1b[2K\rprogress ${tick}%`) : undefined;
      default:
        return undefined;
    }
  };
  return { chatter, count: () => tick };
}

test('another writer on the console: whole lines, pieces mid-line, next to the markers; every frame is read on the first attempt', async (t) => {
  const chatty = chattyService();
  const { engine, shell } = boot(t, { chatter: chatty.chatter, printk: true });
  await shell.findShell(fast);
  const script = String.raw`printf 'héllo ☃ wörld\n'; i=0; while [ $i -lt 150 ]; do echo "line $i: abcdefghijklmnopqrstuvwxyz"; i=$((i+1)); done; exit 7`;
  let expected = 'héllo ☃ wörld\n';
  for (let i = 0; i < 150; i++) expected += `line ${i}: abcdefghijklmnopqrstuvwxyz\n`;
  const r = await shell.run(script);
  t.is(r.output, expected);
  t.is(r.status, 7);
  t.is(r.attempts, 1);
  t.true(Buffer.byteLength(expected) > 5000);
  t.true(chatty.count() > 40, `${chatty.count()} foreign texts`);
  // The foreign text reached the console, colours stripped, among and inside the base64 lines.
  t.regex(engine.slice(0), /chatty\[\d+\]: tick OK/);
  t.regex(engine.slice(0), /[A-Za-z0-9+/]{20}chatty-\d+ [A-Za-z0-9+/]/);
  t.regex(engine.slice(0), /[0-9a-f]{12}_bchatty/);
  t.regex(engine.slice(0), /[0-9a-f]{12}_e_7_[0-9a-f]{7}chatty/);
  // Small outputs, and a long script typed in pieces whose acks are split too.
  t.is((await shell.run('echo hi')).output, 'hi\n');
  t.is((await shell.run('true')).output, '');
  const lines = Array.from({ length: 200 }, (_, i) => `echo "piece ${i} ✓"`);
  const long = await shell.run(lines.join('\n'));
  t.is(long.output, lines.map((_, i) => `piece ${i} ✓\n`).join(''));
  t.is(long.attempts, 1);
  t.regex(engine.slice(0), /[0-9a-f]{12}_cchatty-\d+ \d+\n/);
});

test('another writer on the console, through 1-byte chunks', async (t) => {
  const { shell } = boot(t, { chatter: chattyService().chatter, chunking: 'bytes' });
  await shell.findShell(fast);
  const r = await shell.run('seq 1 300');
  t.is(r.output, Array.from({ length: 300 }, (_, i) => `${i + 1}\n`).join(''));
  t.is(r.attempts, 1);
});

test('a begin marker split by another writer: the body is still found', async (t) => {
  let armed = false;
  const chatter = (line: string): string | undefined => {
    // The first six digits of the nonce, after the prompt.
    if (armed && /\/ # [0-9a-f]{6}$/.test(line)) {
      armed = false;
      return COLOURED(1);
    }
    return undefined;
  };
  const { engine, shell } = boot(t, { chatter, noise: false });
  await shell.findShell(fast);
  armed = true;
  const r = await shell.run('seq 1 50');
  t.is(r.output, Array.from({ length: 50 }, (_, i) => `${i + 1}\n`).join(''));
  t.is(r.attempts, 1);
  t.regex(engine.slice(0), /\n[0-9a-f]{6}chatty\[1\]: tick OK\n[0-9a-f]{6}_b\n/);
});

test('foreign text that cannot be read around: the command runs again, then FrameError', async (t) => {
  // Two foreign lines inside every base64 line, for the first frame only, then for all.
  const twice = (frames: number) => {
    let begins = 0;
    return (line: string): string | undefined => {
      if (/[0-9a-f]{12}_b$/.test(line)) begins++;
      if (begins > frames || !BASE64_LINE.test(line)) return undefined;
      return line.length === 20 || line.length === 50 ? COLOURED(line.length) : undefined;
    };
  };
  const once = boot(t, { chatter: twice(1) });
  await once.shell.findShell(fast);
  const r = await once.shell.run('seq 1 200');
  t.is(r.attempts, 2);
  t.is(r.output.split('\n')[199], '200');

  const always = boot(t, { chatter: twice(Infinity) });
  await always.shell.findShell(fast);
  const error = await t.throwsAsync(always.shell.run('seq 1 200'), { instanceOf: FrameError });
  t.regex(error?.message ?? '', /after 3 attempt\(s\): (base64 body is malformed|length mismatch).*; no reading without foreign text matches/);
});
