// Telling an idle guest from a slow one by QEMU's own CPU time.
import test from 'ava';
import { defaultIdleMs, idleCpuShare, idleOver } from '../../src/boot/session.ts';
import { processCpuMs } from '../../src/qemu/machine.ts';

test('a guest whose QEMU used under 5% of a CPU over the window is idle; a busy one, however quiet, is not', (t) => {
  // One sample a second for 25 s: 1% of a CPU (an idle guest's timer ticks and the echo of kittest's probes).
  const idle = Array.from({ length: 26 }, (_, i) => [i * 1000, 500 + i * 10] as const);
  t.deepEqual(idleOver(idle, 25_000, defaultIdleMs), { idle: true, share: 0.01 });
  // TCG at full speed, or starved to a third of a core on a loaded host: busy.
  const busy = Array.from({ length: 26 }, (_, i) => [i * 1000, 500 + i * 330] as const);
  t.false(idleOver(busy, 25_000, defaultIdleMs).idle);
  t.true(idleCpuShare <= 0.05);
});

test('no verdict before the samples span the whole window', (t) => {
  const young = Array.from({ length: 10 }, (_, i) => [i * 1000, 0] as const);
  t.deepEqual(idleOver(young, 9000, defaultIdleMs), { idle: false });
  t.deepEqual(idleOver([], 30_000, defaultIdleMs), { idle: false });
});

test("a process's CPU time is read from /proc/PID/stat; a process that is gone has none", (t) => {
  const mine = processCpuMs(process.pid);
  t.true(typeof mine === 'number' && mine >= 0);
  t.is(processCpuMs(2 ** 22 + 12345), undefined);
});
