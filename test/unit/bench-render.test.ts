import test from 'ava';
import { renderResult } from '../../src/bench/render.ts';
import { goal, type BenchResult } from '../../src/bench/result.ts';
import { pairedRatio, spread } from '../../src/bench/stats.ts';

const result: BenchResult = {
  schema: 2,
  date: '2025-03-04T05:06:07.000Z',
  kittest: '0.1.0',
  runs: 3,
  host: { name: 'box', cores: 2, cpuModel: 'AMD EPYC', node: 'v20.0.0', platform: 'linux-x64', loadAtStart: 0.1, loadAtEnd: 1.9, foreignQemuAtStart: [] },
  qemu: { 'qemu-system-x86_64': '7.2.22' },
  accel: { x86_64: { accel: 'tcg', reason: 'no kvm' } },
  durationMs: 600_000,
  disturbed: [],
  samples: [],
  pooledOverhead: pairedRatio([[10_400, 10_000], [10_200, 9_900], [10_900, 10_300]]),
  overhead: [
    {
      target: 'x86_64',
      harness: { wallMs: [10_400, 10_200, 10_900], cpuMs: [900, 800, 1000], shellReadyMs: [7000], casePhaseMs: [2400, 2600], frames: [4, 4, 4], statuses: ['passed', 'passed', 'passed'], wall: spread([10_400, 10_200, 10_900]) },
      bare: { wallMs: [10_000, 9_900, 10_300], cpuMs: [300, 250, 350], shellReadyMs: [6900], evidenceMs: [2000, 2100], stepsMs: [{ 'host-context': 400, 'evidence-1': 1000, 'rng-second-sample': 3600, 'host-facts': 300 }], frames: 4, errors: [], wall: spread([10_000, 9_900, 10_300]) },
      ratio: goal(1.04, 'max', 1.02),
      pairs: [[10_400, 10_000], [10_200, 9_900], [10_900, 10_300]],
      paired: pairedRatio([[10_400, 10_000], [10_200, 9_900], [10_900, 10_300]]),
      casePhase: { harness: spread([2400, 2600]), bare: spread([2000, 2100]) },
      casePhaseRatio: goal(2500 / 2050, 'max', 1.3),
      verdictGoal: goal(10_400, 'max', 20_000),
      toShellMs: { harness: 7000, bare: 6900 },
      sameVia: true,
    },
  ],
  matrix: {
    targets: ['x86_64', 's390x'],
    jobs1: { wallMs: [32_000], wall: spread([32_000]), perTargetMs: { x86_64: [10_000], s390x: [22_000] }, exitCodes: [0] },
    jobs2: { wallMs: [23_000], wall: spread([23_000]), perTargetMs: { x86_64: [10_500], s390x: [22_500] }, exitCodes: [0] },
    speedup: goal(32 / 23, 'min', 1.8),
    idealSpeedup: 32 / 22,
    orderSpeedup: 32 / 22,
    slowdown: { x86_64: 1.05, s390x: 22.5 / 22 },
    wallGoal: goal(23_000, 'max', 120_000),
  },
  failing: {
    target: 'x86_64',
    image: '/c/images/x86_64/no-containerd-1/no-containerd',
    failingCase: 'containerd',
    settleMs: 30_000,
    good: { runs: [{ verdictMs: 10_000, wallMs: 10_300, status: 'passed', notPassed: [] }], verdict: spread([10_000]) },
    failing: { runs: [{ verdictMs: 42_000, wallMs: 42_400, status: 'failed', notPassed: ['containerd failed', 'rng failed'] }], verdict: spread([42_000]) },
    differenceMs: 32_000,
    goal: goal(32_000, 'max', 30_000),
  },
  panic: {
    target: 'x86_64',
    image: '/c/images/x86_64/no-init-1/no-init',
    samples: [{ line: 'Kernel panic - not syncing: No working init found.', panicAtMs: 3000, verdictAtMs: 3012, endAtMs: 3100, status: 'failed', message: 'x' }],
    latency: spread([12]),
    toEnd: spread([100]),
    latencyGoal: goal(12, 'max', 1000),
  },
  boot: [
    {
      target: 'x86_64',
      timelineMs: { 'console-first-byte': 300, 'guest:init-started': 1500, 'guest:containerd-started': 3000, 'shell-found': 7000, 'shell-ready': 7000, 'case:containerd': 7500, 'case:runc': 8500, 'guest:uptime-at-facts': 9000 },
      stagesMs: { firmware: 400, kernel: 1500, init: 1500, services: 2500, shell: 1100 },
      memory: { usedKiB: 81_920, rssKiB: { containerd: 40_960, rngd: 1024, 'containerd-shim-runc-v2': 20_480 } },
      imageBytes: 41_500_000,
      imageFormat: 'kernel+initrd',
    },
  ],
};

test('the rendered result leads with the header and a verdict per goal', (t) => {
  const lines = renderResult(result);
  t.regex(lines[0]!, /^kittest 0\.1\.0 bench, 2025-03-04 05:06 UTC, N=3; host box: 2 cores, AMD EPYC; QEMU x86_64 7\.2\.22; accel tcg$/);
  const text = lines.join('\n');
  t.regex(text, /harness overhead x86_64 \(median a \/ median b\)\s+1\.04\s+<= 1\.02\s+NOT met/);
  t.regex(text, /harness overhead, x86_64 pooled \(geometric mean of 3 paired a\/b\)\s+1\.04\s+<= 1\.02\s+NOT met: 95% interval 1\.03-1\.06/);
  t.regex(text, /case phase x86_64 \(median harness cases \/ median bare evidence\)\s+1\.22\s+<= 1\.3\s+met/);
  t.regex(text, /full verdict x86_64 \(median harness run, s\)\s+10\.4\s+<= 20\.0 s\s+met/);
  t.regex(text, /no-containerd-1\/no-containerd verdict - good verdict \(x86_64, s\)\s+32\.0\s+<= 30\.0 s\s+NOT met/);
  t.regex(text, /matrix of 2 targets with --jobs 2 \(median, s\)\s+23\.0\s+<= 120\.0 s\s+met/);
  t.regex(text, /matrix speed-up .*\s+1\.39\s+>= 1\.8\s+NOT met/);
  t.regex(text, /panic to verdict \(worst of 1, ms\)\s+12\s+<= 1000\s+met/);
});

test('the rendered result has the overhead, matrix, panic and boot tables', (t) => {
  const text = renderResult(result).join('\n');
  t.regex(text, /x86_64\s+10\.2 \/ 10\.4 \/ 10\.9\s+9\.9 \/ 10\.0 \/ 10\.3\s+1\.04\s+1\.04 \(1\.03-1\.06\)\s+7\.0\s+6\.9\s+0\.90\s+0\.30\s+4\s+4/);
  t.regex(text, /x86_64\s+2\.4 \/ 2\.5 \/ 2\.6\s+2\.0 \/ 2\.0 \/ 2\.1\s+1\.22\s+host-context 0\.4, evidence-1 1\.0, rng-second-sample 3\.6, host-facts 0\.3/);
  t.regex(text, /good \(reference\)\s+10\.0 \/ 10\.0 \/ 10\.0\s+10\.3\s+passed/);
  t.regex(text, /no-containerd-1\/no-containerd\s+42\.0 \/ 42\.0 \/ 42\.0\s+42\.4\s+failed/);
  t.regex(text, /difference of the medians 32\.0 s; allowed 30\.0 s \(containerd\); not passed: containerd failed, rng failed/);
  t.regex(text, /target\s+firmware\s+kernel\s+init\s+services\s+shell\s+to shell/);
  t.regex(text, /x86_64\s+0\.4\s+1\.5\s+1\.5\s+2\.5\s+1\.1\s+7\.0/);
  t.regex(text, /best possible for these run lengths on 2 workers 1\.45/);
  t.regex(text, /Panic to verdict \(x86_64, no-init-1\/no-init\): 12 \/ 12 \/ 12 ms/);
  t.regex(text, /target\s+output\s+init\*\s+containerd\*\s+shell\s+containerd\s+runc\s+facts\*/);
  t.regex(text, /x86_64\s+0\.3\s+1\.5\s+3\.0\s+7\.0\s+7\.5\s+8\.5\s+9\.0/);
  t.regex(text, /x86_64\s+80\.0\s+40\.0\s+20\.0\s+1\.0\s+exited\s+41\.5\s+kernel\+initrd/);
  t.notRegex(text, /warning/);
});

test('disturbed samples and runs left out are called out', (t) => {
  const text = renderResult({
    ...result,
    disturbed: ['overhead x86_64 bare 2/3 (pids 9)'],
    overhead: [{ ...result.overhead[0]!, harness: { ...result.overhead[0]!.harness, statuses: ['passed', 'failed'] } }],
  }).join('\n');
  t.regex(text, /1 sample\(s\) disturbed by other work on the host: overhead x86_64 bare 2\/3/);
  t.regex(text, /1 harness run\(s\) did not pass/);
});

test('a speed-up above the contention-free bound is called noise', (t) => {
  const text = renderResult({ ...result, matrix: { ...result.matrix!, idealSpeedup: 1.2 } }).join('\n');
  t.regex(text, /above the contention-free bound/);
  t.notRegex(renderResult(result).join('\n'), /above the contention-free bound/);
});
