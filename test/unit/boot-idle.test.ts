// Telling an idle guest from a slow or starved one by how long QEMU ran or waited to run.
import test from 'ava';
import { spawn } from 'node:child_process';
import { defaultIdleMs, idleCpuShare, idleOver, starvedShare, type TimesSample } from '../../src/boot/session.ts';
import { processCpuMs, ProcessTimesMeter } from '../../src/qemu/machine.ts';

/** One sample a second for 25 s; `at(i)` gives [cpuMs, waitMs] at second i. */
const samples = (at: (i: number) => [number, number]): TimesSample[] => Array.from({ length: 26 }, (_, i) => ({ atMs: i * 1000, cpuMs: at(i)[0], waitMs: at(i)[1] }));

test('a guest whose QEMU used under 5% of a CPU over the window, and was not starved, is idle; a busy or starved one, however quiet, is not', (t) => {
  // One sample a second for 25 s: 1% of a CPU (an idle guest's timer ticks and the echo of kittest's probes).
  const idle = samples((i) => [500 + i * 10, 0]);
  t.deepEqual(idleOver(idle, 25_000, defaultIdleMs), { idle: true, cpuShare: 0.01, waitShare: 0 });
  // The same on a loaded host: each timer wake-up waits a little for a CPU. Still idle.
  t.true(idleOver(samples((i) => [500 + i * 10, i * 150]), 25_000, defaultIdleMs).idle);
  // TCG at full speed, or given a third of a core on a loaded host: busy.
  t.false(idleOver(samples((i) => [500 + i * 330, i * 600]), 25_000, defaultIdleMs).idle);
  // Starved: 2% of a CPU, runnable and waiting for one the rest of the time (seen at load 40).
  const starved = idleOver(samples((i) => [500 + i * 20, i * 970]), 25_000, defaultIdleMs);
  t.false(starved.idle);
  t.true((starved.cpuShare ?? 1) < idleCpuShare);
  t.true(idleCpuShare <= 0.05 && starvedShare <= 0.5);
});

test('no verdict before the samples span the whole window', (t) => {
  const young = Array.from({ length: 10 }, (_, i): TimesSample => ({ atMs: i * 1000, cpuMs: 0, waitMs: 0 }));
  t.deepEqual(idleOver(young, 9000, defaultIdleMs), { idle: false });
  t.deepEqual(idleOver([], 30_000, defaultIdleMs), { idle: false });
});

test("a process's CPU time is read from /proc/PID/stat; a process that is gone has none", (t) => {
  const mine = processCpuMs(process.pid);
  t.true(typeof mine === 'number' && mine >= 0);
  t.is(processCpuMs(2 ** 22 + 12345), undefined);
});

test('a process starved of CPU by a loaded host waits on the run queue most of the time (schedstat)', async (t) => {
  // Four busy loops on one CPU: each runs about a quarter of the time and waits the rest.
  const loops = Array.from({ length: 4 }, () => spawn('taskset', ['-c', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }));
  t.teardown(() => loops.forEach((c) => c.kill('SIGKILL')));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const meter = new ProcessTimesMeter(loops[0]!.pid!);
  const [before, at0] = [meter.read()!, Date.now()];
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const [after, at1] = [meter.read()!, Date.now()];
  const cpuShare = (after.cpuMs - before.cpuMs) / (at1 - at0);
  const waitShare = (after.waitMs - before.waitMs) / (at1 - at0);
  t.true(cpuShare < 0.6, `cpu share ${cpuShare}`);
  t.true(cpuShare + waitShare > 0.8, `ran ${cpuShare}, waited ${waitShare} of the time`);
  t.false(idleOver([{ atMs: 0, ...before }, { atMs: at1 - at0, ...after }], at1 - at0, at1 - at0).idle);
  t.is(new ProcessTimesMeter(2 ** 22 + 12345).read(), undefined);
});
