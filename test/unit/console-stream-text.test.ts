import test from 'ava';
import { StreamText, terminalAnswer } from '../../src/console/stream-text.ts';

// Feed `bytes` cut into pieces of `size` bytes; collect text and queries.
function feed(bytes: Buffer, size: number): { text: string; queries: string[] } {
  const s = new StreamText();
  let text = '';
  const queries: string[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    const c = s.push(bytes.subarray(i, i + size));
    text += c.text;
    queries.push(...c.queries);
  }
  const last = s.end();
  return { text: text + last.text, queries: [...queries, ...last.queries] };
}

const sample = Buffer.from(
  '\x1b[1;32m/ # \x1b[0m\x1b[6nécho ☃ \x1b]0;title\x07ok\r\nline2\rX\x1b[5n\x1b[c\x1b[0c\x1b7tab\there\x00\x08\x1b[?25l done\n',
);
const expected = '/ # écho ☃ ok\nline2Xtab\there done\n';

for (const size of [1, 2, 3, 5, 7, sample.length]) {
  test(`cleans text the same whatever the chunk size (${size} bytes)`, (t) => {
    const { text, queries } = feed(sample, size);
    t.is(text, expected);
    t.deepEqual(queries, ['cursor-position', 'status', 'device-attributes', 'device-attributes']);
  });
}

test('turns \\r\\n into \\n and drops lone \\r, even when split between chunks', (t) => {
  const s = new StreamText();
  t.is(s.push(Buffer.from('a\r')).text + s.push(Buffer.from('\nb\rc')).text, 'a\nbc');
});

test('holds an escape sequence cut at the end of a chunk until the next one', (t) => {
  const s = new StreamText();
  t.is(s.push(Buffer.from('abc\x1b[3')).text, 'abc');
  const next = s.push(Buffer.from('1mred\x1b[6'));
  t.is(next.text, 'red');
  const last = s.push(Buffer.from('n'));
  t.deepEqual(last.queries, ['cursor-position']);
});

test('does not hold a lone ESC forever, nor read a reply as a query', (t) => {
  const s = new StreamText();
  t.is(s.push(Buffer.from('a\x1b')).text, 'a');
  t.is(s.end().text, '');
  const r = new StreamText().push(Buffer.from('\x1b[?1;0c\x1b[12;40R'));
  t.deepEqual(r.queries, []);
  t.is(r.text, '');
});

test('an OSC string aborted by another escape does not swallow text', (t) => {
  const s = new StreamText();
  t.is(s.push(Buffer.from('\x1b]0;title\x1b[0mvisible')).text, 'visible');
});

test('a split UTF-8 character is decoded once complete; a cut one at the end becomes U+FFFD', (t) => {
  const s = new StreamText();
  const snow = Buffer.from('☃');
  t.is(s.push(snow.subarray(0, 1)).text, '');
  t.is(s.push(snow.subarray(1)).text, '☃');
  t.is(s.push(snow.subarray(0, 2)).text, '');
  t.is(s.end().text, '\ufffd');
});

test('answers look like a terminal’s', (t) => {
  t.is(terminalAnswer('cursor-position', { row: 24, col: 80 }), '\x1b[24;80R');
  t.is(terminalAnswer('cursor-position'), '\x1b[1;1R');
  t.is(terminalAnswer('status'), '\x1b[0n');
  t.is(terminalAnswer('device-attributes'), '\x1b[?1;0c');
});
