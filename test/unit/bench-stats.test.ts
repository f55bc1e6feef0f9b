import test from 'ava';
import { idealSpeedup, listMakespan, median, medianByKey, optimalMakespan, ratio, spread } from '../../src/bench/stats.ts';

test('median takes the middle value, or the mean of the two middle values', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(median([7]), 7);
  t.true(Number.isNaN(median([])));
});

test('median ignores values that are not finite numbers', (t) => {
  t.is(median([Number.NaN, 5, Number.POSITIVE_INFINITY, 1]), 3);
});

test('spread gives the count, min, median and max, and nothing for no samples', (t) => {
  t.deepEqual(spread([10, 30, 20]), { n: 3, min: 10, median: 20, max: 30 });
  t.is(spread([]), undefined);
  t.is(spread([Number.NaN]), undefined);
});

test('ratio divides, and is undefined when a side is missing or the divisor is not positive', (t) => {
  t.is(ratio(6, 3), 2);
  t.is(ratio(undefined, 3), undefined);
  t.is(ratio(3, undefined), undefined);
  t.is(ratio(3, 0), undefined);
  t.is(ratio(Number.NaN, 2), undefined);
});

test('medianByKey takes each key over the records that have it', (t) => {
  t.deepEqual(medianByKey([{ a: 1, b: 10 }, { a: 3 }, { a: 2, b: 30, c: undefined }]), { a: 2, b: 20 });
});

test('listMakespan hands jobs out in order to the first free worker', (t) => {
  // arm64 21, s390x 22, x86_64 10 in the order kittest runs them: x86_64 follows arm64.
  t.is(listMakespan([21, 22, 10], 2), 31);
  t.is(listMakespan([10, 21, 22], 2), 32);
  t.is(listMakespan([5, 5], 1), 10);
});

test('optimalMakespan finds the best split of the jobs over the workers', (t) => {
  t.is(optimalMakespan([10, 21, 22], 2), 31);
  t.is(optimalMakespan([3, 3, 2, 2, 2], 2), 6);
  t.is(optimalMakespan([], 2), 0);
  t.is(optimalMakespan([7], 3), 7);
});

test('idealSpeedup is the total over the best makespan: 3 uneven runs on 2 cores cannot reach 2', (t) => {
  t.is(idealSpeedup([21, 22, 10], 2), 53 / 31);
  t.is(idealSpeedup([10, 10], 2), 2);
});
