import test from 'ava';
import { countFrames, firstFailureLine } from '../../src/bench/console-log.ts';
import { cpuModelOf, fileSafe, foreignCores, machineBusyOf, ownTreeOf } from '../../src/bench/host-info.ts';
import { qemuVersionOf } from '../../src/qemu/version.ts';
import { goal, resultFileName } from '../../src/bench/result.ts';
import { defaultFailurePatterns } from '../../src/console/failure-patterns.ts';

const log = [
  '[+0.512s] [    0.000000] Linux version 6.1.0-37-cloud-amd64',
  '[+1.800s] [    1.290000] Run /init as init process',
  '[+2.104s] 3f2a9c0d1e2b_b',
  '[+2.110s] ZWNobw==',
  '[+2.115s] 3f2a9c0d1e2b_e_0_5d41402abc4b2a76b9719d911017c592_5',
  '[+2.300s] echo 3f2a9c0d1e2b_b is typed, not a frame',
  '[+3.001s] [    2.123456] Kernel panic - not syncing: No working init found.',
  '[+3.002s] ---[ end Kernel panic - not syncing: No working init found. ]---',
].join('\n');

test('firstFailureLine finds the first fatal line and its stamp in milliseconds', (t) => {
  t.deepEqual(firstFailureLine(log, defaultFailurePatterns), {
    atMs: 3001,
    line: '[    2.123456] Kernel panic - not syncing: No working init found.',
    pattern: 'Kernel panic - not syncing',
  });
  t.is(firstFailureLine('[+1.000s] all fine\n', defaultFailurePatterns), undefined);
});

test('countFrames counts begin markers alone on their line, not typed commands', (t) => {
  t.is(countFrames(log), 1);
  t.is(countFrames(''), 0);
});

test('cpuModelOf reads the model name on x86 and other keys elsewhere', (t) => {
  t.is(cpuModelOf('processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n'), 'AMD EPYC 7B13');
  t.is(cpuModelOf('processor : 0\nBogoMIPS : 50.00\nCPU part : 0xd0c\n'), '0xd0c');
  t.is(cpuModelOf(''), undefined);
});

test('qemuVersionOf reads the version from --version output', (t) => {
  t.is(qemuVersionOf('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright'), '7.2.22');
  t.is(qemuVersionOf('command not found'), undefined);
});

test('result files are named by UTC date and a file-safe host name', (t) => {
  t.is(resultFileName(new Date('2025-03-04T23:59:00Z'), fileSafe('ci runner/7')), '2025-03-04-ci_runner_7.json');
  t.is(fileSafe('..'), 'host');
});

test('goal checks a value against an upper or a lower limit', (t) => {
  t.deepEqual(goal(1.04, 'max', 1.05), { value: 1.04, kind: 'max', limit: 1.05, met: true });
  t.is(goal(1.7, 'min', 1.8).met, false);
  t.deepEqual(goal(undefined, 'max', 1000), { kind: 'max', limit: 1000 });
});

test('machineBusyOf adds user, nice, system, irq and softirq ticks from /proc/stat', (t) => {
  t.is(machineBusyOf('cpu  100 5 50 9000 7 3 2 40 0 0\ncpu0 50 2 25 4500 3 1 1 20 0 0\n'), 160);
  t.is(machineBusyOf('intr 1 2 3'), undefined);
});

test('ownTreeOf adds utime, stime, cutime and cstime, even when the name holds spaces and parentheses', (t) => {
  t.is(ownTreeOf('4242 (node (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 700 300 20 10 20 0 11 0 555 1 2'), 1030);
});

test('foreignCores is the busy time nobody in our tree used, per second of wall time', (t) => {
  t.is(foreignCores({ machineBusy: 0, ownTree: 0 }, { machineBusy: 300, ownTree: 200 }, 2000), 0.5);
  t.is(foreignCores({ machineBusy: 0, ownTree: 0 }, { machineBusy: 100, ownTree: 150 }, 1000), 0);
});
