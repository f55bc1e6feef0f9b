import test from 'ava';
import { counts, failingGoal } from '../../src/bench/failing-verdict.ts';
import { matrixWallGoalMs, speedupGoal } from '../../src/bench/matrix-speedup.ts';
import { casePhaseGoal, fullVerdictGoalMs, overheadGoal } from '../../src/bench/overhead.ts';
import { goal } from '../../src/bench/result.ts';
import { pairedRatio, pairedVerdict } from '../../src/bench/stats.ts';
import { loadTargets } from '../../src/config/targets.ts';

test('the goals are the ones issue 16 sets', (t) => {
  t.is(overheadGoal, 1.02);
  t.is(casePhaseGoal, 1.3);
  t.is(speedupGoal, 1.8);
  t.is(matrixWallGoalMs, 120_000);
  t.deepEqual(fullVerdictGoalMs, { x86_64: 20_000, arm64: 50_000, s390x: 35_000, ppc64le: 50_000, riscv64: 50_000 });
});

test('every target file has a full verdict goal', (t) => {
  for (const target of loadTargets()) t.not(fullVerdictGoalMs[target.name], undefined, target.name);
});

test('a goal is met on the right side of its limit, the limit itself included, and has no verdict without a value', (t) => {
  t.deepEqual(goal(1.02, 'max', 1.02), { value: 1.02, kind: 'max', limit: 1.02, met: true });
  t.is(goal(1.03, 'max', 1.02).met, false);
  t.is(goal(1.8, 'min', 1.8).met, true);
  t.is(goal(1.7, 'min', 1.8).met, false);
  t.deepEqual(goal(undefined, 'max', 1.3), { kind: 'max', limit: 1.3 });
  t.deepEqual(goal(Number.NaN, 'max', 1.3), { kind: 'max', limit: 1.3 });
});

test('the failing image meets its goal when its verdict comes at most one settle window after the good one', (t) => {
  t.deepEqual(failingGoal([20_000, 21_000, 22_000], [50_000, 51_000, 52_000], 30_000), { differenceMs: 30_000, goal: { value: 30_000, kind: 'max', limit: 30_000, met: true } });
  t.is(failingGoal([20_000], [52_000], 30_000).goal.met, false);
  t.deepEqual(failingGoal([], [52_000], 30_000), { differenceMs: undefined, goal: { kind: 'max', limit: 30_000 } });
});

test('a good run counts when it passed; a failing run when it failed its case by verdict, with no error', (t) => {
  t.true(counts({ verdictMs: 1, wallMs: 2, status: 'passed', notPassed: [] }, 'good', 'containerd'));
  t.false(counts({ verdictMs: 1, wallMs: 2, status: 'failed', notPassed: ['rng failed'] }, 'good', 'containerd'));
  t.true(counts({ verdictMs: 1, wallMs: 2, status: 'failed', notPassed: ['containerd failed', 'rng failed'] }, 'failing', 'containerd'));
  t.false(counts({ verdictMs: 1, wallMs: 2, status: 'failed', notPassed: ['rng failed'] }, 'failing', 'containerd'));
  t.false(counts({ verdictMs: 1, wallMs: 2, status: 'error', notPassed: ['containerd failed', 'runc error'] }, 'failing', 'containerd'));
});

test('a paired ratio is the geometric mean of the pairs with a 95% interval; its verdict is unresolved while the interval holds the limit', (t) => {
  const r = pairedRatio([[110, 100], [100, 110], [105, 100], [100, 105]])!;
  t.is(r.n, 4);
  t.true(Math.abs(r.value - 1) < 1e-9, 'ratios that cancel out give 1');
  t.true(r.low < 0.95 && r.high > 1.05);
  t.is(pairedVerdict(r, 1.02), undefined);
  t.is(pairedVerdict(pairedRatio([[100, 100], [101, 100], [100.5, 100]]), 1.02), true);
  t.is(pairedVerdict(pairedRatio([[110, 100], [111, 100], [112, 100]]), 1.02), false);
  t.is(pairedRatio([[100, 100]]), undefined, 'one pair says nothing about the noise');
  t.is(pairedRatio([[100, 0], [0, 100], [Number.NaN, 1]]), undefined, 'unusable pairs are left out');
});
