import test from 'ava';
import { judgeContainerd, serverVersion } from '../../src/cases/checks/containerd.ts';
import { execa } from 'execa';
import { farEnough, judgeRngSamples, nextSampleScript, rngCheck, rngScript, sampleClock, type RngCaseSettings, type RngSettings } from '../../src/cases/checks/rng.ts';
import { settingDefaults } from '../../src/cases/case-schema.ts';
import { judgeRootfs } from '../../src/cases/checks/rootfs-immutable.ts';
import { judgeRunc } from '../../src/cases/checks/runc.ts';
import { judgeIsolation } from '../../src/cases/checks/services-isolated.ts';
import { cgroupPath } from '../../src/cases/containment.ts';
import { decideSystemContext } from '../../src/boot/system-context.ts';
import { parseScan } from '../../src/cases/service-scan.ts';
import { crashloopRngd, fakeRngd, referenceIsolation, referenceRngSamples } from './fixtures-services.ts';

test('containerd: the server version is read from the Server section only', (t) => {
  const out = 'version: Client:\nversion:   Version:  1.7.24\nversion: \nversion: Server:\nversion:   Version:  1.7.24~ds1\nversion:   UUID: x';
  t.is(serverVersion(out), '1.7.24~ds1');
  t.is(serverVersion('version: Client:\nversion:   Version:  1.7.24\nversion: ctr: failed to dial'), undefined);
});

// --- Synthetic guest output in the shape the service scan prints (src/cases/service-scan.ts). ---

interface Proc {
  pid: number;
  comm: string;
  start?: number;
  named?: 'rng' | 'dhcp';
  fds?: [number, string, string][];
  mnt?: string;
  pidns?: string;
  cgroup?: string[];
  /** CapEff in hex. */
  cap?: string;
  /** DHCP client sockets: [fd, kind]. */
  sockets?: [number, 'udp68' | 'packet'][];
}

const hostMnt = 'mnt:[4026531841]';
const hostPid = 'pid:[4026531836]';
const init: Proc = { pid: 1, comm: 'init', start: 1, mnt: hostMnt, pidns: hostPid, cgroup: ['0::/'] };

function scan(procs: Proc[], options: { isolation?: boolean; rng?: boolean } = {}): string {
  const lines: string[] = [];
  // The rng sample scans namespaces too (the service must run in a container).
  const isolation = options.isolation ?? options.rng !== false;
  if (options.rng !== false) lines.push('rng_current=virtio_rng.0', 'rng_available=virtio_rng.0', 'crng=dmesg');
  lines.push('source=/dev/hwrng a:b7', 'source=/dev/random 1:8');
  const shown = new Set<number>();
  const show = (p: Proc) => {
    if (shown.has(p.pid)) return;
    shown.add(p.pid);
    lines.push(`proc=${p.pid} ${p.start ?? 100 + p.pid} ${p.comm}`);
    if (p.cap) lines.push(`cap=${p.pid} ${p.cap}`);
    if (isolation) {
      lines.push(`ns=${p.pid} ${p.mnt ?? ''} ${p.pidns ?? ''} uts:[4026531838] ipc:[4026531839]`);
      for (const c of p.cgroup ?? []) lines.push(`cgroup=${p.pid} ${c}`);
    }
  };
  if (isolation) show(init);
  for (const p of procs.filter((x) => x.named)) {
    lines.push(`named=${p.pid} ${p.named}`);
    show(p);
  }
  for (const p of procs) {
    for (const [fd, kind] of p.sockets ?? []) {
      show(p);
      lines.push(`sock=${p.pid} ${fd} ${kind} ${9000 + fd}`);
    }
  }
  lines.push('fdmode=stat');
  for (const p of procs) {
    for (const [fd, rdev, path] of p.fds ?? []) {
      if (!p.named && rdev !== 'a:b7' && rdev !== '1:8') continue;
      if (!p.named) show(p);
      lines.push(`fd=${p.pid} ${fd} ${rdev} ${path}`);
    }
  }
  return lines.join('\n');
}

const rngSettings: RngSettings = { hwrng: /virtio_rng/, sources: ['/dev/hwrng'], feeds: ['/dev/random'], processNames: ['rngd', 'rng-tools'], sampleGapMs: 3000 };
const consoleFds: [number, string, string][] = [
  [0, '5:1', '/dev/console'],
  [1, '5:1', '/dev/console'],
  [2, '5:1', '/dev/console'],
];
const inContainer = (pid: number) => ({ mnt: `mnt:[40265322${pid % 100}]`, pidns: `pid:[40265323${pid % 100}]`, cgroup: [`0::/services.linuxkit/rng${pid}`] });
const realRngd = (pid: number, comm = 'rngd', start = 2400): Proc => ({
  pid,
  comm,
  start,
  ...inContainer(pid),
  named: comm === 'rngd' ? 'rng' : undefined,
  fds: [[0, '1:3', '/dev/null'], [1, '0:0', 'pipe:[9120]'], [2, '0:0', 'pipe:[9121]'], [3, 'a:b7', '/dev/hwrng'], [4, '1:8', '/dev/random']],
});

test('rng: rngd holding /dev/hwrng (10:183) in two samples passes', (t) => {
  const sample = scan([realRngd(312)]);
  const verdict = judgeRngSamples([sample, sample], rngSettings);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.message, /rngd \(pid 312\) reads \/dev\/hwrng \(10:183\) \(fd 3\) in a container, stayed up across 2 samples 3 s apart/);
});

test('rng: a real rngd under another name passes: the open device counts, not the name', (t) => {
  const sample = scan([realRngd(420, 'entropyd')]);
  const verdict = judgeRngSamples([sample, sample], rngSettings);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.message, /entropyd \(pid 420\) reads \/dev\/hwrng/);
});

test('rng: one sample with a holder is not enough: a second sample must follow', (t) => {
  const verdict = judgeRngSamples([scan([realRngd(312)])], rngSettings);
  t.false(verdict.passed);
  t.true(verdict.pending);
  t.regex(verdict.message, /a second sample follows/);
});

test('rng: a script named rngd with only console fds fails and says what it holds', (t) => {
  const fake = scan([{ pid: 123, comm: 'rngd', named: 'rng', fds: [...consoleFds, [10, '0:0', '/usr/sbin/rngd']] }]);
  const verdict = judgeRngSamples([fake, fake], rngSettings);
  t.false(verdict.passed);
  t.false(verdict.pending);
  t.is(
    verdict.message,
    'no process reads /dev/hwrng (10:183) or feeds the kernel pool through /dev/random (1:8): rngd (pid 123) runs but has no RNG source open (open fds: 0 /dev/console, 1 /dev/console, 2 /dev/console, 10 /usr/sbin/rngd)',
  );
});

test('rng: a regular file or other device at the path /dev/hwrng is not the RNG', (t) => {
  const fake = scan([{ pid: 124, comm: 'rngd', named: 'rng', fds: [[0, '1:3', '/dev/null'], [3, '0:0', '/dev/hwrng']] }]);
  const verdict = judgeRngSamples([fake, fake], rngSettings);
  t.false(verdict.passed);
  t.regex(verdict.message, /rngd \(pid 124\) has \/dev\/hwrng open, but it is not an RNG device \(0:0, not 10:183, 1:8\)/);
});

test('rng: nothing named and nothing holding the source fails', (t) => {
  const verdict = judgeRngSamples([scan([]), scan([])], rngSettings);
  t.is(verdict.message, 'no process reads /dev/hwrng (10:183) or feeds the kernel pool through /dev/random (1:8), and no process named rngd, rng-tools runs');
});

test('rng: a crash-looping rngd, another pid in the second sample, fails', (t) => {
  const verdict = judgeRngSamples([scan([realRngd(120, 'rngd', 900)]), scan([realRngd(131, 'rngd', 1210)])], rngSettings);
  t.false(verdict.passed);
  t.is(verdict.message, 'rngd restarted between samples (pid 120 then 131): a crash-looping service');
});

test('rng: the same pid with another start time is a restart too (pid reused)', (t) => {
  const verdict = judgeRngSamples([scan([realRngd(120, 'rngd', 900)]), scan([realRngd(120, 'rngd', 1210)])], rngSettings);
  t.false(verdict.passed);
  t.regex(verdict.message, /restarted between samples \(pid 120 then 120\)/);
});

test('rng: one restart is forgiven only if the new process holds the source across two more gaps', (t) => {
  const a = scan([realRngd(120, 'rngd', 900)]);
  const b = scan([realRngd(131, 'rngd', 1210)]);
  t.true(judgeRngSamples([a, b], rngSettings).pending);
  t.false(judgeRngSamples([a, b, b], rngSettings).passed);
  const verdict = judgeRngSamples([a, b, b, b], rngSettings);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.message, /after one restart \(pid 120 then 131\)/);
});

test('rng: a second restart fails at once as a crash loop, also with the service down in between', (t) => {
  const a = scan([realRngd(120, 'rngd', 900)]);
  const none = scan([]);
  const b = scan([realRngd(131, 'rngd', 1210)]);
  const c = scan([realRngd(140, 'rngd', 1520)]);
  const loop = judgeRngSamples([a, b, c], rngSettings);
  t.true(loop.final);
  t.regex(loop.message, /rngd restarted 2 times in 3 samples \(pids 120, 131, 140\): a crash-looping service/);
  t.regex(judgeRngSamples([a, none], rngSettings).message, /no process reads \/dev\/hwrng \(10:183\) or feeds the kernel pool through \/dev\/random \(1:8\) now: rngd \(pid 120\) held \/dev\/hwrng open in an earlier sample and is gone/);
  t.true(judgeRngSamples([a, none, b, none], rngSettings).final);
});

test('rng: a service still starting (nothing, then a holder twice) passes', (t) => {
  const none = scan([]);
  const up = scan([realRngd(312)]);
  t.true(judgeRngSamples([none, up], rngSettings).pending);
  t.true(judgeRngSamples([none, up, up], rngSettings).passed);
});

test('rng: the RNG binding and the kernel RNG are judged first', (t) => {
  const ok = scan([realRngd(312)]);
  t.regex(judgeRngSamples([ok, ok.replace('rng_current=virtio_rng.0', 'rng_current=none')], rngSettings).message, /rng_current is "none"/);
  t.regex(judgeRngSamples([ok, ok.replace('crng=dmesg\n', '')], rngSettings).message, /not initialised/);
});

test('rng: without stat -c the source is matched by path', (t) => {
  const ns = `proc=1 1 init\nns=1 ${hostMnt} ${hostPid}\ncgroup=1 0::/\nns=77 mnt:[4026532300] pid:[4026532301]\ncgroup=77 0::/rngd`;
  const out = `rng_current=virtio_rng.0\ncrng=dmesg\nsource=/dev/hwrng -\nfdmode=readlink\nproc=77 900 rngd\n${ns}\nfd=77 3 - /dev/hwrng`;
  t.true(judgeRngSamples([out, out], rngSettings).passed);
});

test('rng: forged lines cannot smuggle a holder: malformed device numbers and pids are dropped', (t) => {
  const out = 'rng_current=virtio_rng.0\ncrng=dmesg\nsource=/dev/hwrng a:b7\nfd=77 3 a:b7x /dev/hwrng\nfd=7a 3 a:b7 /dev/hwrng';
  t.deepEqual([...parseScan(out).processes.keys()], []);
  t.false(judgeRngSamples([out, out], rngSettings).passed);
});

test('rng (recorded, reference x86_64): rngd in its container reads /dev/hwrng; 1.4 s old at sample 1, so sample 2 waits until it is 3 s old', (t) => {
  const settings = { ...rngSettings, processNames: ['rngd', 'rng-tools', 'jitterentropy-rngd'] };
  const [one, two] = referenceRngSamples as [string, string];
  const young = judgeRngSamples([one], settings);
  t.true(young.pending);
  t.is(young.notBeforeCs, 1083 + 300, 'rngd started at 10.83 s: it is 3 s old at 13.83 s');
  t.regex(young.message, /rngd \(pid 275\) reads \/dev\/hwrng \(10:183\) but started less than 3 s ago/);
  const verdict = judgeRngSamples([one, two], settings);
  t.true(verdict.passed, verdict.message);
  t.is(verdict.message, "hwrng virtio_rng.0, kernel RNG initialised, rngd (pid 275) reads /dev/hwrng (10:183) (fd 3) in a container, up 4.8 s by the guest kernel's clock");
});

/** A sample at guest uptime `at` seconds (process start times are in ticks of 10 ms). */
const at = (seconds: number, procs: Proc[], extra: string[] = []) => `sampled_from=${seconds.toFixed(2)}\n${scan(procs)}\n${extra.join('\n')}\nsampled_to=${(seconds + 0.2).toFixed(2)}`;
const poolFeeder = (pid: number, cap: string, start = 900): Proc => ({
  pid,
  comm: 'rngd',
  start,
  named: 'rng',
  cap,
  ...inContainer(pid),
  fds: [[0, '1:3', '/dev/null'], [1, '0:0', 'pipe:[1]'], [2, '0:0', 'pipe:[2]'], [3, '1:8', '/dev/random'], [4, '0:0', 'anon_inode:[eventpoll]']],
});
// LinuxKit's rngd: capabilities [CAP_SYS_ADMIN] in its spec, so CapEff is bit 21 alone.
const sysAdminOnly = (1n << 21n).toString(16).padStart(16, '0');

test("rng: LinuxKit's rngd, holding /dev/random with CAP_SYS_ADMIN in its container, feeds the pool and passes at the first sample once 3 s old", (t) => {
  const verdict = judgeRngSamples([at(20, [poolFeeder(250, sysAdminOnly)])], rngSettings);
  t.true(verdict.passed, verdict.message);
  t.is(verdict.message, "hwrng virtio_rng.0, kernel RNG initialised, rngd (pid 250) feeds the kernel pool through /dev/random (1:8) (fd 3) in a container, up 11 s by the guest kernel's clock");
});

test('rng: a process holding /dev/random without CAP_SYS_ADMIN cannot add entropy, whatever its name, and fails', (t) => {
  const noSysAdmin = (0xa80425fbn).toString(16).padStart(16, '0');
  const verdict = judgeRngSamples([at(20, [poolFeeder(250, noSysAdmin)]), at(24, [poolFeeder(250, noSysAdmin)])], rngSettings);
  t.false(verdict.passed);
  t.regex(verdict.message, /rngd \(pid 250\) has \/dev\/random open but not CAP_SYS_ADMIN, so it cannot add entropy/);
});

test('rng: a holder on the host (PID 1\'s namespaces) fails, naming its role', (t) => {
  const onHost: Proc = { ...poolFeeder(250, sysAdminOnly), mnt: hostMnt, pidns: hostPid, cgroup: ['0::/'] };
  const verdict = judgeRngSamples([at(20, [onHost])], rngSettings);
  t.false(verdict.passed);
  t.true(verdict.final);
  t.regex(verdict.message, /^not in a container: rngd \(pid 250\) feeds the kernel pool through \/dev\/random \(1:8\) but runs in PID 1's mount namespace/);
});

test('rng: a young holder is sampled again; a crash loop still fails because its holder is always young', (t) => {
  const young = judgeRngSamples([at(10, [poolFeeder(250, sysAdminOnly, 950)])], rngSettings);
  t.true(young.pending);
  t.is(young.notBeforeCs, 1250);
  const loop = judgeRngSamples([at(10, [poolFeeder(250, sysAdminOnly, 950)]), at(12.6, [poolFeeder(261, sysAdminOnly, 1200)]), at(15.1, [poolFeeder(270, sysAdminOnly, 1450)])], rngSettings);
  t.true(loop.final);
  t.regex(loop.message, /restarted 2 times in 3 samples \(pids 250, 261, 270\): a crash-looping service/);
});

test('rng: an RNG service whose containerd task stopped fails at once with its task status and last log line (LinuxKit rngd on arm64)', (t) => {
  const tasks = ['task=services.linuxkit getty 230 S', 'task=services.linuxkit rngd 251 gone', 'tasklog=rngd 2026/12/04 18:00:01 No random source available'];
  const verdict = judgeRngSamples([at(20, [], tasks)], rngSettings);
  t.false(verdict.passed);
  t.true(verdict.final);
  t.is(
    verdict.message,
    'no process reads /dev/hwrng (10:183) or feeds the kernel pool through /dev/random (1:8): the service rngd was started (containerd task services.linuxkit/rngd, pid 251) and is gone: task STOPPED, its process has exited; its last log line: "2026/12/04 18:00:01 No random source available"',
  );
  // A running task of that name, or a stopped one of another name, says nothing of the kind.
  t.notRegex(judgeRngSamples([at(20, [], ['task=services.linuxkit rngd 251 S'])], rngSettings).message, /was started/);
  t.notRegex(judgeRngSamples([at(20, [], ['task=services.linuxkit nginx 251 gone'])], rngSettings).message, /was started/);
  // Forged task lines are dropped.
  t.notRegex(judgeRngSamples([at(20, [], ['task=services.linuxkit rngd; 251 gone', 'task=x rngd 25x gone'])], rngSettings).message, /was started/);
});

test('rng (recorded, fake-rngd x86_64): a script named rngd, fds sorted by number in the message', (t) => {
  const verdict = judgeRngSamples([fakeRngd, fakeRngd], rngSettings);
  t.false(verdict.passed);
  t.is(verdict.message, 'no process reads /dev/hwrng (10:183) or feeds the kernel pool through /dev/random (1:8): rngd (pid 284) runs but has no RNG source open (open fds: 0 /dev/null, 1 pipe:[525], 2 pipe:[526], 10 /usr/sbin/rngd)');
});

test('rng (recorded, crashloop-rngd x86_64): rngd killed every 2 s is a crash loop', (t) => {
  // Samples 2 to 4 as recorded; sample 1 (rngd pid 312, gone by sample 2) rebuilt from sample 3.
  const sample1 = crashloopRngd[1]!.replace(/\b419\b/g, '312').replace('proc=312 2866', 'proc=312 2440');
  const verdict = judgeRngSamples([sample1, ...crashloopRngd], rngSettings);
  t.true(verdict.final);
  t.is(verdict.message, 'rngd restarted 2 times in 4 samples (pids 312, 419): a crash-looping service');
});

/** Run rngCheck against canned samples; returns the verdict and how many samples it took. */
async function runRngCheck(outputs: string[], { settleMs, ...written }: { sampleGapMs: number; settleMs: number }) {
  let runs = 0;
  const host = { run: async () => ({ status: 0, output: outputs[Math.min(runs++, outputs.length - 1)]!, durationMs: 1 }) };
  const settings = { ...(settingDefaults(rngCheck) as unknown as RngCaseSettings), ...written };
  const verdict = await rngCheck.check!({ system: host, settings, settleMs, timeoutMs: 60_000, nonce: () => 'n', now: () => Date.now() });
  return { verdict, runs };
}

test('rng check: a holder is sampled again after sampleGapMs; nothing holding is not (without settle time)', async (t) => {
  const settings = { sampleGapMs: 10, settleMs: 0 };
  const up = scan([realRngd(312)]);
  const ok = await runRngCheck([up, up], settings);
  t.true(ok.verdict.passed, ok.verdict.message);
  t.is(ok.runs, 2);
  t.regex(ok.verdict.evidence, /^# sample 1 at \+0\.0 s\n/);
  const fake = await runRngCheck([scan([{ pid: 123, comm: 'rngd', named: 'rng', fds: consoleFds }])], settings);
  t.false(fake.verdict.passed);
  t.is(fake.runs, 1);
  const loop = await runRngCheck([scan([realRngd(120, 'rngd', 1)]), scan([realRngd(131, 'rngd', 2)]), scan([realRngd(140, 'rngd', 3)])], { ...settings, settleMs: 60_000 });
  t.regex(loop.verdict.message, /restarted 2 times in 3 samples/);
  t.is(loop.runs, 3);
});

/** A sample with the guest's clock readings (seconds of uptime) around it. */
const clocked = (sample: string, from: number, to: number) => `sampled_from=${from.toFixed(2)}\n${sample}\nsampled_to=${to.toFixed(2)}`;

test('rng: the sample clock is read from the guest\'s uptime, strictly', (t) => {
  t.deepEqual(sampleClock('sampled_from=12.05\nx\nsampled_to=13.40'), { fromCs: 1205, toCs: 1340 });
  t.deepEqual(sampleClock('sampled_from=12.5\nsampled_to=1e3.00'), { fromCs: undefined, toCs: undefined });
  t.true(farEnough(clocked('', 10, 11), clocked('', 14, 15), 3000));
  t.false(farEnough(clocked('', 10, 11), clocked('', 13.99, 15), 3000));
  // Recordings made before the readings existed: the host's wait is trusted.
  t.true(farEnough('', clocked('', 1, 2), 3000));
});

test('rng: samples closer than the gap on the guest\'s clock do not count; another sample follows', (t) => {
  const up = scan([realRngd(312)]);
  const close = judgeRngSamples([clocked(up, 10, 10.5), clocked(up, 11, 11.5)], rngSettings);
  t.false(close.passed);
  t.true(close.pending);
  t.regex(close.message, /less than 3 s apart on the guest's clock/);
  t.true(judgeRngSamples([clocked(up, 10, 10.5), clocked(up, 11, 11.5), clocked(up, 14.5, 15)], rngSettings).passed);
  t.true(judgeRngSamples([clocked(up, 10, 10.5), clocked(up, 13.5, 14)], rngSettings).passed);
});

test('rng: an earlier holder gone and none now is not final: the check samples again within settleMs', (t) => {
  const verdict = judgeRngSamples([scan([realRngd(120, 'rngd', 900)]), scan([])], rngSettings);
  t.false(verdict.passed);
  t.false(verdict.final);
  t.regex(verdict.message, /held \/dev\/hwrng open in an earlier sample and is gone/);
  // The restarted service then holds the source across two more gaps: one restart forgiven.
  const back = scan([realRngd(131, 'rngd', 1210)]);
  t.true(judgeRngSamples([scan([realRngd(120, 'rngd', 900)]), scan([]), back, back, back], rngSettings).passed);
});

for (const shell of ['dash', 'busybox']) {
  test(`rng: a later sample waits on the guest's clock (${shell}, this machine's /proc/uptime)`, async (t) => {
    const argv = shell === 'busybox' ? (['busybox', ['sh', '-c']] as const) : (['dash', ['-c']] as const);
    const settings = { sources: ['/dev/hwrng'], feeds: ['/dev/random'], processNames: ['rngd'], sampleGapMs: 600 };
    const firstSample = await execa(argv[0], [...argv[1], rngScript(settings)], { reject: false });
    const { toCs } = sampleClock(firstSample.stdout);
    t.truthy(toCs, firstSample.stdout);
    const next = nextSampleScript(settings, firstSample.stdout)!;
    const second = await execa(argv[0], [...argv[1], next], { reject: false });
    t.true(farEnough(firstSample.stdout, second.stdout, 600), second.stdout);
    // A moment already past waits for nothing.
    const started = Date.now();
    await execa(argv[0], [...argv[1], rngScript(settings, 1)], { reject: false });
    t.true(Date.now() - started < 3000);
  });
}

test('rng check: with the guest\'s clock, the second sample is sent at once, last in its batch, and waits on the guest', async (t) => {
  const up = scan([realRngd(312)]);
  const asked: { script: string; position?: string }[] = [];
  const outputs = [clocked(up, 20, 20.6), clocked(up, 23.6, 24)];
  const host = { run: async (script: string, options?: { position?: 'first' | 'last' }) => ({ status: 0, output: outputs[Math.min(asked.push({ script, position: options?.position }) - 1, 1)]!, durationMs: 1 }) };
  const settings = { ...(settingDefaults(rngCheck) as unknown as RngCaseSettings), sampleGapMs: 3000 };
  const started = Date.now();
  const verdict = await rngCheck.check!({ system: host, settings, settleMs: 30_000, timeoutMs: 60_000, nonce: () => 'n', now: () => Date.now() });
  t.true(verdict.passed, verdict.message);
  t.true(Date.now() - started < 1000, 'no wait on the host');
  t.deepEqual(asked.map((a) => a.position), ['first', 'last']);
  // rngd started at tick 2400 (24.00 s): the second sample waits until it is 3 s old (+50 ms).
  t.regex(asked[1]!.script, /-lt 2705 \]/);
});

const isoSettings = { sources: ['/dev/hwrng'], feeds: ['/dev/random'], processNames: ['rngd'], clientNames: ['udhcpc', 'dhcpcd'] };
const containerRngd: Proc = { ...realRngd(312), mnt: 'mnt:[4026532200]', pidns: 'pid:[4026532201]', cgroup: ['0::/services.linuxkit/rngd'] };

test('services-isolated: rngd in a container by PID namespace passes; a one-shot DHCP client is not observed', (t) => {
  const verdict = judgeIsolation(scan([containerRngd], { isolation: true }), isoSettings);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.message, /rngd \(pid 312, holds \/dev\/hwrng\) own mount and PID namespaces \(mnt:\[4026532200\] pid:\[4026532201\] cgroup \/services\.linuxkit\/rngd\)/);
  t.regex(verdict.message, /DHCP client not observed \(no process holds UDP port 68 or a packet socket, no udhcpc\/dhcpcd runs: a one-shot client that exited leaves nothing to judge\)/);
});

test('services-isolated: a DHCP client under another name is found by its socket, and judged', (t) => {
  const onHost: Proc = { pid: 290, comm: 'netcfg', sockets: [[6, 'packet'], [5, 'udp68']], mnt: hostMnt, pidns: hostPid, cgroup: ['0::/'] };
  const failed = judgeIsolation(scan([containerRngd, onHost], { isolation: true }), isoSettings);
  t.false(failed.passed);
  t.regex(failed.message, /not isolated: netcfg \(pid 290, DHCP client: holds UDP port 68 \(fd 5\)\) runs in PID 1's mount namespace/);
  t.notRegex(failed.message, /DHCP client not observed/);

  const contained: Proc = { ...onHost, sockets: [[4, 'packet']], mnt: 'mnt:[4026532210]', cgroup: ['0::/services.linuxkit/net'] };
  const passed = judgeIsolation(scan([containerRngd, contained], { isolation: true }), isoSettings);
  t.true(passed.passed, passed.message);
  t.regex(passed.message, /netcfg \(pid 290, DHCP client: holds a packet socket \(fd 4\)\) own mount namespace and container cgroup/);
});

test('services-isolated (recorded, reference x86_64): rngd under containerd passes, the one-shot udhcpc is not observed', (t) => {
  const verdict = judgeIsolation(referenceIsolation, isoSettings);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.message, /^isolated: rngd \(pid 281, holds \/dev\/hwrng\) own mount and PID namespaces \(mnt:\[4026532161\] pid:\[4026532164\] cgroup \/services\.linuxkit\/rngd\); DHCP client not observed/);
});

test('services-isolated: services sharing the host PID namespace but in a container cgroup pass', (t) => {
  const rngd: Proc = { ...realRngd(312, 'entropyd'), mnt: 'mnt:[4026532200]', pidns: hostPid, cgroup: ['0::/services.linuxkit/rngd'] };
  const dhcp: Proc = { pid: 280, comm: 'udhcpc', named: 'dhcp', mnt: 'mnt:[4026532210]', pidns: hostPid, cgroup: ['0::/dhcp'] };
  const verdict = judgeIsolation(scan([rngd, dhcp], { isolation: true }), isoSettings);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.message, /entropyd \(pid 312, holds \/dev\/hwrng\) own mount namespace and container cgroup/);
  t.regex(verdict.message, /udhcpc \(pid 280, DHCP client\) own mount namespace and container cgroup \(mnt:\[4026532210\] pid:\[4026531836\] cgroup \/dhcp/);
  t.notRegex(verdict.message, /not observed/);
});

test('services-isolated: unshare -m alone (PID 1\'s PID namespace and cgroup) is not a container', (t) => {
  const rngd: Proc = { ...realRngd(300), mnt: 'mnt:[4026532250]', pidns: hostPid, cgroup: ['0::/'] };
  const verdict = judgeIsolation(scan([rngd], { isolation: true }), isoSettings);
  t.false(verdict.passed);
  t.regex(verdict.message, /rngd \(pid 300, holds \/dev\/hwrng\) has a private mount namespace mnt:\[4026532250\] only: PID 1's PID namespace pid:\[4026531836\], PID 1's cgroup \/ \(unshare -m is not a container\)/);
});

test("services-isolated: a service in PID 1's mount namespace fails, even in a cgroup of its own", (t) => {
  const rngd: Proc = { ...realRngd(300), mnt: hostMnt, pidns: hostPid, cgroup: ['0::/rngd'] };
  const verdict = judgeIsolation(scan([rngd], { isolation: true }), isoSettings);
  t.false(verdict.passed);
  t.regex(verdict.message, /rngd \(pid 300, holds \/dev\/hwrng\) runs in PID 1's mount namespace mnt:\[4026531841\]/);
});

test('services-isolated: a fake rngd on the host counts as a service (named), and fails', (t) => {
  const fake: Proc = { pid: 123, comm: 'rngd', named: 'rng', fds: consoleFds, mnt: hostMnt, pidns: hostPid, cgroup: ['0::/'] };
  const verdict = judgeIsolation(scan([containerRngd, fake], { isolation: true }), isoSettings);
  t.false(verdict.passed);
  t.regex(verdict.message, /not isolated: rngd \(pid 123, named like the RNG service\) runs in PID 1's mount namespace/);
});

test('services-isolated: nothing observed fails with the reason', (t) => {
  const verdict = judgeIsolation(scan([], { isolation: true }), isoSettings);
  t.false(verdict.passed);
  t.is(verdict.observed, 0);
  t.regex(verdict.message, /no service observed, so their isolation cannot be shown; RNG service not observed \(nothing holds \/dev\/hwrng or \/dev\/random open to read or feed it, no rngd runs\); DHCP client not observed/);
});

test("services-isolated: systemd units and sessions are not container cgroups; PID 1's namespaces must be readable", (t) => {
  const unit: Proc = { ...realRngd(300), mnt: 'mnt:[4026532250]', pidns: hostPid, cgroup: ['0::/system.slice/rngd.service'] };
  const initScope = { isolation: true };
  const out = scan([unit], initScope).replace('cgroup=1 0::/', 'cgroup=1 0::/init.scope');
  t.regex(judgeIsolation(out, isoSettings).message, /cgroup \/system\.slice\/rngd\.service, a systemd service unit/);
  const docker: Proc = { ...unit, cgroup: ['0::/system.slice/docker-4f1c.scope'] };
  t.true(judgeIsolation(scan([docker], initScope).replace('cgroup=1 0::/', 'cgroup=1 0::/init.scope'), isoSettings).passed);
  t.regex(judgeIsolation('fdmode=stat', isoSettings).message, /cannot read PID 1's mount and PID namespaces/);
});

test('services-isolated: cgroup v1 lines are read per hierarchy; a repeated hierarchy is not trusted', (t) => {
  t.is(cgroupPath(['12:pids:/services.linuxkit/rngd', '4:memory:/services.linuxkit/rngd', '1:name=systemd:/']), '/services.linuxkit/rngd');
  t.is(cgroupPath(['0::/a', '0::/b']), undefined);
  t.is(cgroupPath(['0::/ok', 'garbage']), undefined);
});

const version = 'ctr_rc=0\nversion: Client:\nversion:   Version:  1.7.24~ds1\nversion: \nversion: Server:\nversion:   Version:  1.7.24~ds1\nversion:   UUID: 5b1f';
const sock = { socket: '/run/containerd/containerd.sock' };

test('containerd: an answer on the socket passes, with the tasks of the state dir as context', (t) => {
  const verdict = judgeContainerd(`pid=210\nsocket=socket\ntask_dir=services.linuxkit/getty\ntask_dir=services.linuxkit/rngd\n${version}`, sock);
  t.true(verdict.passed, verdict.message);
  t.is(verdict.message, 'containerd 1.7.24~ds1 answers on /run/containerd/containerd.sock (pid 210; tasks in the state dir: services.linuxkit/getty, services.linuxkit/rngd)');
});

test('containerd: a process named containerd that does not answer fails', (t) => {
  const out = 'pid=210\nsocket=missing\nctr_rc=1\nversion: Client:\nversion:   Version:  1.7.24~ds1\nversion: ctr: failed to dial "/run/containerd/containerd.sock": context deadline exceeded';
  const verdict = judgeContainerd(out, sock);
  t.false(verdict.passed);
  t.is(verdict.message, 'containerd does not answer on /run/containerd/containerd.sock: there is no /run/containerd/containerd.sock (a process named containerd runs: pid 210)');
  t.regex(judgeContainerd(out.replace('socket=missing', 'socket=socket'), sock).message, /does not answer on \S+: ctr: failed to dial/);
  t.regex(judgeContainerd('pid=210\nctr=missing', sock).message, /ctr is not installed/);
});

test('containerd: with namespace set, it must exist and run tasks', (t) => {
  const ns = { ...sock, namespace: 'services.linuxkit' };
  const running = `${version}\ntasks_rc=0\ntasks: TASK     PID    STATUS\ntasks: getty    345    RUNNING\ntasks: rngd     401    RUNNING`;
  const verdict = judgeContainerd(running, ns);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.message, /namespace services\.linuxkit runs getty \(pid 345\), rngd \(pid 401\)/);
  t.regex(judgeContainerd(`${version}\ntasks_rc=0\ntasks: TASK PID STATUS\nnamespace: default\nnamespace: other`, ns).message, /namespace services\.linuxkit does not exist \(namespaces: default, other\)/);
  t.regex(judgeContainerd(`${version}\ntasks_rc=0\ntasks: TASK PID STATUS\ntasks: rngd 0 STOPPED\nnamespace: services.linuxkit`, ns).message, /has no running task \(rngd STOPPED\)/);
});

test('rootfs: a read-only root where writes fail with EROFS passes and lists writable mounts', (t) => {
  const out = 'root=rootfs rw\nroot=tmpfs ro,relatime\nrw_mount=/run tmpfs\nwrite=/ failed touch: /.kittest-1: Read-only file system\nwrite=/etc failed touch: /etc/.kittest-1: Read-only file system';
  const verdict = judgeRootfs(out);
  t.true(verdict.passed, verdict.message);
  t.deepEqual(verdict.writableMounts, ['/run tmpfs']);
});

test('rootfs: a writable root fails, and so does a write that fails for another reason', (t) => {
  t.regex(judgeRootfs('root=tmpfs rw,relatime\nwrite=/ succeeded').message, /mounted read-write/);
  t.regex(judgeRootfs('root=ext4 ro\nwrite=/ succeeded').message, /creating a file in \/ succeeded/);
  t.regex(judgeRootfs('root=ext4 ro\nwrite=/ failed touch: /x: Permission denied').message, /not with EROFS/);
});

test('runc: the nonce assembled in the container and exit 0 pass; anything else fails', (t) => {
  t.true(judgeRunc('runc_version=runc version 1.1.15\nrc=0\nout: aaa-bbb', 'aaa-bbb').passed);
  t.regex(judgeRunc('rc=1\nout: container_linux.go: pivot_root .: invalid argument', 'aaa-bbb').message, /status 1: container_linux.go: pivot_root/);
  t.regex(judgeRunc('rc=0\nout: aaa bbb', 'aaa-bbb').message, /did not print the nonce/);
  t.regex(judgeRunc('runc=missing', 'aaa-bbb').message, /not installed/);
});

const same = 'self_mnt=mnt:[1]\ninit_mnt=mnt:[1]\nself_pid=pid:[2]\ninit_pid=pid:[2]\nself_net=net:[3]\ninit_net=net:[3]\nnsenter=yes\nuid=0\ninit_comm=init\npid2=kthreadd 0';

test('the host context goes through nsenter only when the shell is in other namespaces', (t) => {
  t.is(decideSystemContext(same).via, '');
  t.is(decideSystemContext(same).unreachable, undefined);
  const getty = same.replace('self_mnt=mnt:[1]', 'self_mnt=mnt:[9]');
  t.is(decideSystemContext(`${getty}\nentered_mnt=mnt:[1]`).via, 'nsenter -t 1 -m -n -p --');
  t.is(decideSystemContext(`${getty}\nentered_mnt=mnt:[1]`).unreachable, undefined);
});

test('the host context: long scripts are typed gzipped only where the shell unpacked the sample, and the report says so', (t) => {
  t.false(decideSystemContext(same).gzip);
  const withGzip = decideSystemContext(`${same}\ngzip=yes`);
  t.true(withGzip.gzip);
  t.regex(withGzip.description, /; long scripts are typed gzipped$/);
  t.false(decideSystemContext(`${same}\ngzip=no`).gzip);
});

test('the host context: other namespaces without nsenter, or where nsenter cannot enter, leave the host unreachable', (t) => {
  const getty = same.replace('self_mnt=mnt:[1]', 'self_mnt=mnt:[9]');
  const noNsenter = decideSystemContext(getty.replace('nsenter=yes\n', ''));
  t.is(noNsenter.via, '');
  t.regex(noNsenter.unreachable ?? '', /own mnt namespace and has no nsenter/);
  const denied = decideSystemContext(`${getty.replace('uid=0', 'uid=1000')}\nentered_mnt=nsenter: setns(): Operation not permitted`);
  t.regex(denied.unreachable ?? '', /nsenter -t 1 cannot enter PID 1's \(nsenter: setns\(\): Operation not permitted; uid 1000\)/);
});

test("the host context: a shell in its own PID namespace sees its container's init as PID 1 and cannot reach the host", (t) => {
  // Inside such a container every namespace of "PID 1" matches the shell's: only the missing
  // kernel threads (PID 2 is not kthreadd) tell that PID 1 is not the host's init.
  const inContainer = same.replace('init_comm=init', 'init_comm=getty-loop').replace('pid2=kthreadd 0', 'pid2=sh 1');
  const context = decideSystemContext(inContainer);
  t.is(context.via, '');
  t.regex(context.unreachable ?? '', /PID namespace of its own: its \/proc shows no kernel threads, so PID 1 there \("getty-loop"\) is its container's init/);
  t.truthy(decideSystemContext(inContainer.replace('pid2=sh 1', 'pid2= ')).unreachable);
});
