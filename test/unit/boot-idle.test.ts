// Telling an idle guest from a slow or starved one by how long QEMU ran or waited to run.
import test from 'ava';
import { spawn } from 'node:child_process';
import { defaultIdleMs, idleCpuShare, idleOver } from '../../src/boot/session.ts';
import { DemandMeter, processCpuMs } from '../../src/qemu/machine.ts';

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

test('a process starved of CPU by a loaded host is not idle: its run-queue wait counts (schedstat)', async (t) => {
  // Four busy loops on one CPU: each runs about a quarter of the time and waits the rest.
  const loops = Array.from({ length: 4 }, () => spawn('taskset', ['-c', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }));
  t.teardown(() => loops.forEach((c) => c.kill('SIGKILL')));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const pid = loops[0]!.pid!;
  const meter = new DemandMeter(pid);
  const [demand0, cpu0, at0] = [meter.read()!, processCpuMs(pid)!, Date.now()];
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const [demand1, cpu1, at1] = [meter.read()!, processCpuMs(pid)!, Date.now()];
  const cpuShare = (cpu1 - cpu0) / (at1 - at0);
  const demandShare = (demand1 - demand0) / (at1 - at0);
  t.true(cpuShare < 0.6, `cpu share ${cpuShare}`);
  t.true(demandShare > 0.8, `ran or waited: ${demandShare} of the time (cpu ${cpuShare})`);
  t.false(idleOver([[0, demand0], [defaultIdleMs, demand0 + demandShare * defaultIdleMs]], defaultIdleMs, defaultIdleMs).idle);
  t.is(new DemandMeter(2 ** 22 + 12345).read(), undefined);
});
