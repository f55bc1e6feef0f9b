import test from 'ava';
import { withDeadline } from '../../src/util/deadline.ts';

test('withDeadline gives the work its result when it settles first', async (t) => {
  t.is(await withDeadline(Promise.resolve('done'), 1000, () => 'late'), 'done');
  await t.throwsAsync(withDeadline(Promise.reject(new Error('broke')), 1000, () => 'late'), { message: 'broke' });
});

test("withDeadline answers with late()'s value, or its throw, when the time passes first", async (t) => {
  const never = new Promise<string>(() => {});
  t.is(await withDeadline(never, 10, () => 'late'), 'late');
  t.is(await withDeadline(never, -5, () => 'late'), 'late', 'a deadline already past is decided at once');
  await t.throwsAsync(withDeadline(never, 10, () => { throw new Error('too slow'); }), { message: 'too slow' });
});
