import test from 'ava';
import { UsageError } from '../../src/errors.ts';
import { nonEmptyShard } from '../../src/matrix/schedule.ts';

const same = (s: string) => s;

test('a shard with runs in it gets its round-robin share', (t) => {
  t.deepEqual(nonEmptyShard(['a', 'b', 'c'], { index: 2, count: 2 }, same), ['b']);
  t.deepEqual(nonEmptyShard(['a', 'b'], undefined, same), ['a', 'b']);
});

test('an empty shard is a usage error naming the shard and the runs there are', (t) => {
  t.throws(() => nonEmptyShard(['x86_64'], { index: 2, count: 2 }, same), { instanceOf: UsageError, message: '--shard 2/2 selects no run: there is 1 run (x86_64) to share among 2 shards' });
  t.throws(() => nonEmptyShard(['a', 'b'], { index: 3, count: 3 }, same), { instanceOf: UsageError, message: '--shard 3/3 selects no run: there are 2 runs (a, b) to share among 3 shards' });
});
