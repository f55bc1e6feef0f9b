import test from 'ava';
import { kernelStartOnHost } from '../../src/bench/console-log.ts';
import { bareEvidenceMs, bootStageDurations, casePhaseMs, stepDurations } from '../../src/bench/phases.ts';

test('the case phase runs from the shell answering to the last case verdict', (t) => {
  t.is(casePhaseMs({ 'console-first-byte': 300, 'shell-ready': 7000, 'case:containerd': 9000, 'case:rng': 12_500, 'case:runc': 9100, 'guest:uptime-at-end': 99_000 }), 5500);
  t.is(casePhaseMs({ 'shell-ready': 7000 }), undefined);
  t.is(casePhaseMs({ 'case:rng': 12_500 }), undefined);
});

test('the bare evidence time runs from the shell answering to the end of the last evidence poll', (t) => {
  const marks = { 'shell-ready': 7000, 'step:host-context': 7400, 'step:evidence-1': 9000, 'step:rng-second-sample': 12_600, 'step:host-facts': 13_000 };
  t.is(bareEvidenceMs(marks, 'rng-second-sample'), 5600);
  t.is(bareEvidenceMs(marks, 'missing'), undefined);
  t.is(bareEvidenceMs(marks, undefined), undefined);
});

const timeline = {
  'console-first-byte': 2300,
  'guest:init-started': 8000,
  'guest:containerd-started': 9300,
  'guest:containerd-shim-started': 18_000,
  'guest:rngd-started': 21_400,
  'guest:runc-started': 30_000,
  'guest:uptime-at-end': 42_000,
  'shell-found': 26_800,
  'shell-ready': 26_800,
};

test('the boot stages are cut at kernel start, init, containerd, the last service and the shell, and add up to shell-found', (t) => {
  const stages = bootStageDurations(timeline, 2500);
  t.deepEqual(stages, { firmware: 2500, kernel: 8000, init: 1300, services: 12_100, shell: 26_800 - (2500 + 21_400) });
  t.is(Object.values(stages).reduce((s, v) => s + v, 0), 26_800);
});

test('without the kernel start on the host clock only the guest-clock stages are known', (t) => {
  t.deepEqual(bootStageDurations(timeline, undefined), { kernel: 8000, init: 1300, services: 12_100 });
});

test('an image without containerd has no init, services or shell stage, only what its ends allow', (t) => {
  t.deepEqual(bootStageDurations({ 'guest:init-started': 5000, 'shell-found': 9000 }, 1000), { firmware: 1000, kernel: 5000 });
});

test('the kernel start on the host clock is the tightest bound any stamped kernel line gives', (t) => {
  const log = [
    '[+0.120s] SeaBIOS (version 1.16)',
    '[+10.010s] [    0.000000] Linux version 6.12',
    '[+10.030s] [    0.000000] Command line: console=ttyS0',
    '[+12.500s] [    3.100000] virtio_net virtio0 eth0: renamed',
    '[+16.500s] [    7.106608] Run /init as init process',
    '[+20.000s] / # ',
  ].join('\n');
  t.is(kernelStartOnHost(log), 16_500 - 7107);
  t.is(kernelStartOnHost('[+1.000s] no kernel lines\n'), undefined);
  // A line whose printk time is later than its arrival cannot move the start before QEMU's.
  t.is(kernelStartOnHost('[+1.000s] [    5.000000] odd\n'), 0);
});

test('each bare step takes from the end of the one before, the first from the shell answering', (t) => {
  const marks = { 'shell-ready': 7000, 'step:host-context': 7400, 'step:evidence-1': 9000, 'step:rng-second-sample': 12_600, 'step:host-facts': 13_000 };
  t.deepEqual(stepDurations(marks, ['host-context', 'evidence-1', 'rng-second-sample', 'host-facts']), { 'host-context': 400, 'evidence-1': 1600, 'rng-second-sample': 3600, 'host-facts': 400 });
  t.deepEqual(stepDurations({ 'shell-ready': 1 }, ['host-context']), {});
});
