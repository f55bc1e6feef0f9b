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
