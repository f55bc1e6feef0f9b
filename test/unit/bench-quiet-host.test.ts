import test from 'ava';
import { BenchInterrupted, sampleGate } from '../../src/bench/quiet-host.ts';

test('a sample waits while another QEMU runs, then runs', async (t) => {
  const answers = [[42], [42], []];
  const lines: string[] = [];
  const { sample, disturbed } = sampleGate({ progress: (l) => lines.push(l), pollMs: 20, others: () => answers.shift() ?? [] });
  t.is(await sample('x', async () => 'done'), 'done');
  t.is(lines.filter((l) => l.includes('waiting')).length, 2);
  t.deepEqual(disturbed, []);
});

test('a sample during which another QEMU shows up is listed as disturbed', async (t) => {
  let others: number[] = [];
  const { sample, disturbed } = sampleGate({ progress: () => {}, pollMs: 20, others: () => others, ticks: () => undefined });
  await sample('overhead x86_64 harness 1/3', async () => {
    others = [7];
    await new Promise((resolve) => setTimeout(resolve, 50));
    others = [];
  });
  t.deepEqual(disturbed, ['overhead x86_64 harness 1/3 (QEMU pids 7)']);
});

test('a sample starts anyway after the longest wait', async (t) => {
  const lines: string[] = [];
  const { sample, disturbed } = sampleGate({ progress: (l) => lines.push(l), pollMs: 10, maxWaitMs: 30, others: () => [9] });
  await sample('s', async () => undefined);
  t.true(lines.some((l) => l.includes('starting anyway')));
  t.is(disturbed.length, 1);
});

test('a sample during which other processes took CPU is listed as disturbed, with the share noted', async (t) => {
  const readings = [
    { machineBusy: 1000, ownTree: 500 },
    // 1 s later (wall faked below is ~0.1 s; the share is relative to the real wall time): 100 ticks busy, 20 ours.
    { machineBusy: 1100, ownTree: 520 },
  ];
  const { sample, disturbed, notes } = sampleGate({ progress: () => {}, others: () => [], ticks: () => readings.shift() });
  await sample('busy', () => new Promise((resolve) => setTimeout(resolve, 100)));
  t.is(notes.length, 1);
  t.true(notes[0]!.foreignCores! > 0.25);
  t.regex(disturbed[0]!, /^busy \(other processes used \d\.\d\d cores\)$/);
});

test('once the bench is interrupted, a waiting sample stops waiting and does not start', async (t) => {
  const controller = new AbortController();
  const { sample } = sampleGate({ progress: () => {}, pollMs: 10_000, signal: controller.signal, others: () => [5], ticks: () => undefined });
  let ran = false;
  setTimeout(() => controller.abort('SIGINT'), 50);
  await t.throwsAsync(
    sample('s', async () => {
      ran = true;
    }),
    { instanceOf: BenchInterrupted },
  );
  t.false(ran);
});
