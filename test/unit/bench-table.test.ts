import test from 'ava';
import { formatTable, goalMark, mebibytes, megabytes, millis, seconds, spreadMillis, spreadSeconds, times } from '../../src/bench/text-table.ts';

test('formatTable pads columns, left-aligns the first and right-aligns the rest, and underlines the header', (t) => {
  t.deepEqual(formatTable([['target', 'a/b'], ['x86_64', '1.02'], ['s390x', '10.50']]), [
    'target    a/b',
    '------  -----',
    'x86_64   1.02',
    's390x   10.50',
  ]);
});

test('formatTable follows the alignment given and tolerates short rows', (t) => {
  t.deepEqual(formatTable([['a', 'b'], ['long', '']], ['right', 'left']), ['   a  b', '----  -', 'long']);
  t.deepEqual(formatTable([]), []);
});

test('number formats show a dash for unknown values', (t) => {
  t.is(seconds(12_345), '12.3');
  t.is(seconds(12_345, 2), '12.35');
  t.is(seconds(undefined), '-');
  t.is(millis(12.6), '13');
  t.is(millis(Number.NaN), '-');
  t.is(times(1.046), '1.05');
  t.is(times(undefined), '-');
  t.is(mebibytes(2048), '2.0');
  t.is(megabytes(41_500_000), '41.5');
  t.is(megabytes(undefined), '-');
});

test('spreads read min / median / max', (t) => {
  t.is(spreadSeconds({ n: 3, min: 9_000, median: 10_000, max: 12_000 }), '9.0 / 10.0 / 12.0');
  t.is(spreadMillis({ n: 3, min: 9, median: 10.4, max: 12 }), '9 / 10 / 12');
  t.is(spreadSeconds(undefined), '-');
});

test('goalMark says met, NOT met or n/a', (t) => {
  t.is(goalMark(true), 'met');
  t.is(goalMark(false), 'NOT met');
  t.is(goalMark(undefined), 'n/a');
});
