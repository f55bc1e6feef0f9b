import test from 'ava';
import { sampleGate } from '../../src/bench/quiet-host.ts';

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
  const { sample, disturbed } = sampleGate({ progress: () => {}, pollMs: 20, others: () => others });
  await sample('overhead x86_64 harness 1/3', async () => {
    others = [7];
    await new Promise((resolve) => setTimeout(resolve, 50));
    others = [];
  });
  t.deepEqual(disturbed, ['overhead x86_64 harness 1/3 (pids 7)']);
});

test('a sample starts anyway after the longest wait', async (t) => {
  const lines: string[] = [];
  const { sample, disturbed } = sampleGate({ progress: (l) => lines.push(l), pollMs: 10, maxWaitMs: 30, others: () => [9] });
  await sample('s', async () => undefined);
  t.true(lines.some((l) => l.includes('starting anyway')));
  t.is(disturbed.length, 1);
});
