import test from 'ava';
import { ConsoleEngine } from '../../src/console/engine.ts';
import { ConsoleEndedError, ConsoleFailureError, ConsoleTimeoutError } from '../../src/console/errors.ts';
import { MemoryLogSink } from '../../src/console/log-sink.ts';
import { MachineError } from '../../src/errors.ts';

function makeEngine(options: { maxBufferChars?: number } = {}): { engine: ConsoleEngine; written: string[]; log: MemoryLogSink } {
  const written: string[] = [];
  const log = new MemoryLogSink();
  const engine = new ConsoleEngine({ write: (d) => written.push(d), log, ...options });
  return { engine, written, log };
}

// Push a string one byte at a time.
function pushBytes(engine: ConsoleEngine, text: string): void {
  for (const b of Buffer.from(text)) engine.push(Buffer.from([b]));
}

test('waitFor resolves with a marker split across 1-byte chunks, escapes and UTF-8', async (t) => {
  const { engine } = makeEngine();
  const wait = engine.waitFor(/marker-(\d+) /, { timeoutMs: 1000 }); // a regex resolves as soon as it matches: end it with a delimiter
  pushBytes(engine, 'noise ☃ mar\x1b[1mker-\x1b[0m42 tail\n');
  const m = await wait;
  t.is(m.text, 'marker-42 ');
  t.deepEqual(m.captures, ['42']);
  t.is(engine.slice(m.start, m.end), 'marker-42 ');
});

test('waitFor finds text that arrived before it was called, and respects from', async (t) => {
  const { engine } = makeEngine();
  engine.push(Buffer.from('login: \n'));
  t.is((await engine.waitFor('login:', { timeoutMs: 10 })).start, 0);
  const from = engine.position;
  const wait = engine.waitFor('login:', { timeoutMs: 1000, from });
  engine.push(Buffer.from('again login: '));
  t.is((await wait).start, from + 6);
});

test('a literal split anywhere across chunks is found', async (t) => {
  const { engine } = makeEngine();
  const wait = engine.waitFor('abc_ready', { timeoutMs: 1000 });
  engine.push(Buffer.from('xxabc'));
  engine.push(Buffer.from('_rea'));
  engine.push(Buffer.from('dy'));
  t.is((await wait).text, 'abc_ready');
});

test('a timeout rejects with the last console lines quoted', async (t) => {
  const { engine } = makeEngine();
  for (let i = 1; i <= 30; i++) engine.push(Buffer.from(`line ${i}\n`));
  engine.push(Buffer.from('/ # '));
  const error = await t.throwsAsync(engine.waitFor('never', { timeoutMs: 50 }), { instanceOf: ConsoleTimeoutError });
  t.true(error instanceof MachineError);
  t.regex(error?.message ?? '', /timed out after 50 ms waiting for "never"/);
  t.regex(error?.message ?? '', /\| line 30\n {2}\| \/ # $/);
  t.false(error?.message.includes('| line 10\n'));
  t.is(error?.lastLines.length, 20);
});

test('a fatal line rejects a pending wait at once and quotes the line; onFailure brings the lines after it', async (t) => {
  let clock = 1000;
  const engine = new ConsoleEngine({ write: () => {}, clock: () => clock });
  const events: { line: string; following: readonly string[] }[] = [];
  engine.onFailure((f) => events.push(f));
  const wait = engine.waitFor('login:', { timeoutMs: 60_000 });
  clock += 1234;
  engine.push(Buffer.from('[    2.1] VFS: Cannot open root device\n[    2.2] Kernel panic - not'));
  engine.push(Buffer.from(' syncing: VFS: Unable to mount root fs\n[    2.3] CPU: 0 PID: 1\n'));
  const state = await Promise.race([wait.then(() => 'resolved', () => 'rejected'), new Promise((r) => setImmediate(() => r('pending')))]);
  t.is(state, 'rejected', 'rejected at once, not after the 300 ms the event waits for');
  const error = await t.throwsAsync(wait, { instanceOf: ConsoleFailureError });
  t.is(error?.pattern, 'Kernel panic - not syncing');
  t.regex(error?.message ?? '', /Kernel panic - not syncing: VFS: Unable to mount root fs/);
  t.is(engine.failure?.atMs, 1234);
  engine.push(Buffer.from('[    2.4] Call Trace:\n'));
  await new Promise((r) => setTimeout(r, 400));
  t.is(events.length, 1);
  t.deepEqual(events[0]?.following, ['[    2.3] CPU: 0 PID: 1', '[    2.4] Call Trace:']);
  await t.throwsAsync(engine.waitFor('anything', { timeoutMs: 60_000 }), { instanceOf: ConsoleFailureError });
});

test('end() rejects every pending wait immediately, and later waits too', async (t) => {
  const { engine } = makeEngine();
  engine.push(Buffer.from('last words\npartial'));
  const a = engine.waitFor('x', { timeoutMs: 60_000 });
  const b = engine.waitFor(/y/, { timeoutMs: 60_000 });
  engine.end('qemu exited with code 1', { infrastructure: true });
  // Settled before the event loop turns even once: no timer is involved.
  const state = await Promise.race([b.then(() => 'resolved', () => 'rejected'), new Promise((r) => setImmediate(() => r('pending')))]);
  t.is(state, 'rejected');
  const error = await t.throwsAsync(a, { instanceOf: ConsoleEndedError });
  await t.throwsAsync(b, { instanceOf: ConsoleEndedError });
  t.true(error?.infrastructure);
  t.deepEqual(error?.lastLines, ['last words', 'partial']);
  t.regex(error?.message ?? '', /qemu exited with code 1/);
  await t.throwsAsync(engine.waitFor('z', { timeoutMs: 60_000 }), { instanceOf: ConsoleEndedError });
  t.is((await engine.waitFor('words', { timeoutMs: 1 })).text, 'words', 'text already received still matches');
});

test('terminal queries are answered through write, even when split', (t) => {
  const written: string[] = [];
  const engine = new ConsoleEngine({ write: (d) => written.push(d), cursorReport: { row: 24, col: 5 } });
  pushBytes(engine, '/ # \x1b[6n');
  engine.push(Buffer.from('\x1b[5n\x1b['));
  engine.push(Buffer.from('c'));
  t.deepEqual(written, ['\x1b[24;5R', '\x1b[0n', '\x1b[?1;0c']);
  t.is(engine.queriesAnswered, 3);
  t.deepEqual(engine.lastLines(1), ['/ # ']);
});

test.serial('memory stays bounded under a 50 MB flood and a marker split across the window edge is found', async (t) => {
  const maxBufferChars = 1_000_000;
  const { engine } = makeEngine({ maxBufferChars });
  const wait = engine.waitFor(/END-OF-FLOOD-(\d+)/, { timeoutMs: 60_000 });
  const failures: string[] = [];
  engine.onFailure((f) => failures.push(f.line));
  const line = `${'flood DEBUG: data '.repeat(4)}0123456789\n`;
  const chunk = Buffer.from(line.repeat(Math.ceil(65_536 / line.length)));
  let fed = 0;
  let maxSeen = 0;
  while (fed < 50 * 1024 * 1024) {
    engine.push(chunk);
    fed += chunk.length;
    maxSeen = Math.max(maxSeen, engine.bufferedChars);
  }
  // A flood without newlines too, then the marker cut in two.
  const noNewline = Buffer.from('z'.repeat(65_536));
  for (let i = 0; i < 40; i++) {
    engine.push(noNewline);
    maxSeen = Math.max(maxSeen, engine.bufferedChars);
  }
  engine.push(Buffer.from('zzzEND-OF-FL'));
  engine.push(Buffer.from('OOD-77\n'));
  const m = await wait;
  t.is(m.captures[0], '77');
  t.true(maxSeen <= maxBufferChars, `buffer held ${maxSeen} chars`);
  t.true(engine.windowStart > 50_000_000);
  t.is(engine.lastLines(1)[0]?.endsWith('END-OF-FLOOD-77'), true);
  t.deepEqual(failures, []);
});

test('the log sink receives all clean text and the timeline records the first byte and marks', (t) => {
  let clock = 500;
  const log = new MemoryLogSink();
  const engine = new ConsoleEngine({ write: () => {}, clock: () => clock, log });
  clock = 750;
  engine.push(Buffer.from('\x1b[2Jhello\r\n'));
  clock = 900;
  engine.mark('shell-found');
  t.is(log.text, 'hello\n');
  t.is(log.chunks[0]?.elapsedMs, 250);
  t.is(engine.firstByteAtMs, 250);
  t.deepEqual(engine.timeline(), [
    { name: 'console-first-byte', atMs: 250 },
    { name: 'shell-found', atMs: 400 },
  ]);
});
