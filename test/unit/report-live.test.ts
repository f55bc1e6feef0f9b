import test from 'ava';
import { Chalk } from 'chalk';
import { LiveStatus } from '../../src/report/live.ts';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = { isTTY, text: '', write(chunk: string) { stream.text += chunk; return true; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

test('without a TTY only the plain verdict lines are written', (t) => {
  const stream = fakeStream(false);
  const live = new LiveStatus(stream, new Chalk({ level: 0 }));
  live.update('x86_64', 'booting');
  live.line('PASS x86_64 boot');
  live.stop();
  t.is(stream.text, 'PASS x86_64 boot\n');
});

test('on a TTY a live line per run stays below the verdicts and is redrawn in place', (t) => {
  const stream = fakeStream(true);
  let now = 0;
  const live = new LiveStatus(stream, new Chalk({ level: 0 }), () => now);
  live.update('x86_64', 'booting');
  live.update('arm64', 'booting');
  now = 5000;
  live.line('PASS x86_64 boot');
  t.regex(stream.text, /\x1b\[2A\x1b\[JPASS x86_64 boot\n.*x86_64\s+5s  booting\n.*arm64\s+5s  booting\n$/);
  live.update('x86_64', 'done');
  live.stop();
  t.true(stream.text.endsWith('\x1b[1A\x1b[J'));
});

test('while the terminal is held (a kept machine\'s console) nothing is written; the held lines come on resume', (t) => {
  const stream = fakeStream(true);
  const live = new LiveStatus(stream, new Chalk({ level: 0 }), () => 0);
  live.update('x86_64', 'stopping');
  live.update('arm64', 'case rng');
  live.hold();
  const atHold = stream.text;
  t.true(atHold.endsWith('\x1b[2A\x1b[J'), 'the live block is cleared before the console takes the terminal');
  live.line('PASS arm64 rng');
  live.update('arm64', 'done');
  t.is(stream.text, atHold, 'another run writes nothing into the console');
  live.resume();
  t.regex(stream.text.slice(atHold.length), /^PASS arm64 rng\n.*x86_64\s+0s  stopping\n$/);
  live.stop();
});
