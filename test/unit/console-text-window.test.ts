import test from 'ava';
import { compileMatcher, TextWindow } from '../../src/console/text-window.ts';

test('the window holds exactly the tail of the stream, addressed by absolute positions', (t) => {
  const w = new TextWindow(10_000, 7_000);
  let all = '';
  let seed = 7;
  for (let i = 0; i < 3000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const size = seed % 50 === 0 ? 5000 : 1 + (seed % 37);
    const text = `${i}:${'x'.repeat(size)}\n`;
    all += text;
    w.append(text, i);
    w.trim();
    t.true(w.size <= 10_000);
  }
  t.is(w.end, all.length);
  t.is(w.slice(w.start), all.slice(w.start));
  t.is(w.slice(w.end - 123, w.end - 7), all.slice(all.length - 123, all.length - 7));
  t.is(w.slice(0, 10), '', 'text already dropped is gone');
});

test('search finds a regex across piece boundaries and keeps lookbehind context', (t) => {
  const w = new TextWindow(100_000);
  w.append('a'.repeat(4090), 1);
  w.append('xxSTA', 2);
  w.append('RT-99 ', 3);
  const m = w.search(compileMatcher(/(?<=xx)START-(\d+) /), 4092);
  t.is(m?.start, 4092);
  t.deepEqual(m?.captures, ['99']);
  t.is(m?.atMs, 3);
  t.is(w.search(compileMatcher('START'), 4093), undefined, 'nothing starts at or after from');
  t.is(w.resumePoint(0, 50), w.end - 50);
});
