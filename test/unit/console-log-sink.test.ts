import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConsoleEngine } from '../../src/console/engine.ts';
import { FileLogSink } from '../../src/console/log-sink.ts';
import { safeForTerminal } from '../../src/util/terminal-safe.ts';

function tempFile(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kittest-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'console.log');
}

test('each line is stamped with the time its first character arrived', async (t) => {
  const file = tempFile(t);
  const sink = new FileLogSink(file);
  sink.write('first li', 1000);
  sink.write('ne\nsecond\nthi', 12_345);
  sink.write('rd', 13_000);
  await sink.close();
  t.is(readFileSync(file, 'utf8'), '[+1.000s] first line\n[+12.345s] second\n[+12.345s] third\n');
});

test('the log stops at its cap and says at close how many bytes were cut', async (t) => {
  const file = tempFile(t);
  const sink = new FileLogSink(file, { maxBytes: 100 });
  for (let i = 0; i < 50; i++) sink.write(`line number ${i}\n`, i);
  await sink.close();
  const text = readFileSync(file, 'utf8');
  const lines = text.trimEnd().split('\n');
  t.is(lines[0], '[+0.000s] line number 0');
  t.regex(lines.at(-1) ?? '', /^\[kittest\] console log capped at 100 bytes: \d+ more bytes of console output were cut$/);
  t.true(Buffer.byteLength(lines.slice(0, -1).join('\n')) + 1 <= 100);
  const cut = Number(/: (\d+) more bytes/.exec(text)?.[1]);
  const total = Array.from({ length: 50 }, (_, i) => `line number ${i}\n`).join('').length;
  const kept = lines.slice(0, -1).map((l) => `${l.replace(/^\[\+[\d.]+s\] /, '')}\n`).join('').length;
  t.is(cut, total - kept);
  t.is(sink.bytesCut, cut);
});

test('guest text is made safe for the terminal', (t) => {
  t.is(safeForTerminal('ok\tgo\n\x1b[2J\x07\x00\x9b\u202eevil'), 'ok\tgo\n\\x1b[2J\\x07\\x00\\x9b\\u202eevil');
  t.is(safeForTerminal('héllo ☃'), 'héllo ☃');
});

test('an engine writes the clean console into the log, escapes removed', async (t) => {
  const file = tempFile(t);
  const sink = new FileLogSink(file);
  let clock = 0;
  const engine = new ConsoleEngine({ write: () => {}, clock: () => clock, log: sink });
  clock = 2500;
  engine.push(Buffer.from('\x1b[1;32m/ # \x1b[0m\x1b[6nls\r\n'));
  clock = 3000;
  engine.push(Buffer.from('bin  etc\r\n'));
  engine.end('done');
  await sink.close();
  t.is(readFileSync(file, 'utf8'), '[+2.500s] / # ls\n[+3.000s] bin  etc\n');
});

// /dev/full opens for writing and fails every write with ENOSPC: a real full disk, without filling one.
test('a log on a full disk says so in one line naming the file and the errno, and never crashes kittest', async (t) => {
  const heard: string[] = [];
  const sink = new FileLogSink('/dev/full', { onError: (error) => heard.push(error.message) });
  sink.write('a boot line\n', 10);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.deepEqual(heard, ['writing /dev/full failed: ENOSPC (no space left on device)']);
  t.is(sink.error?.message, heard[0]);
  t.notThrows(() => sink.write('more lines after the failure\n', 20));
  await t.throwsAsync(sink.close(), { message: heard[0] });
  t.is(heard.length, 1, 'told once');
});

test('a log that cannot be opened fails the same way', async (t) => {
  const file = join(tempFile(t), '..', 'missing', 'console.log');
  const failed = new Promise<string>((resolve) => new FileLogSink(file, { onError: (error) => resolve(error.message) }).write('x\n', 0));
  t.is(await failed, `writing ${file} failed: ENOENT (no such file or directory)`);
});
