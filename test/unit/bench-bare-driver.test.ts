import test from 'ava';
import { driveBare, type BarePlan, type BarePort } from '../../src/bench/bare-driver.ts';
import { guestSteps, guestWork } from '../../src/bench/guest-work.ts';
import { batchScript } from '../../src/cases/batched-shell.ts';
import { decideSystemContext, systemContextScript } from '../../src/boot/system-context.ts';
import { systemFactsScript } from '../../src/cases/system-facts.ts';
import { loadAllCases } from '../../src/cases/case-folders.ts';
import { FakeGuest, type FakeGuestOptions } from './console-fake-guest.ts';

/** A port on a fake guest (a tty with the host's /bin/sh behind it). */
function fakePort(options: FakeGuestOptions): { port: BarePort; guest: FakeGuest } {
  let listener: (chunk: Buffer) => void = () => {};
  const guest = new FakeGuest((chunk) => listener(chunk), options);
  const port: BarePort = {
    write: (data) => guest.input(data),
    onData: (l) => (listener = l),
    closed: new Promise(() => {}),
  };
  return { port, guest };
}

const plan = (overrides: Partial<BarePlan> = {}): BarePlan => ({
  probeEveryMs: 200,
  maxLineBytes: 1000,
  context: systemContextScript,
  chooseWay: (output) => ({ via: decideSystemContext(output).via, gzip: false }),
  steps: [{ label: 'hello', script: 'echo hello' }],
  deadlineMs: 20_000,
  ...overrides,
});

test('the bare driver probes until the shell answers, then runs every step and stops at its end marker', async (t) => {
  const { port, guest } = fakePort({ startAfterMs: 500, noise: true, chunking: 'random' });
  t.teardown(() => guest.close());
  const long = `${'echo filler;'.repeat(150)}\necho done`;
  let contextOutput = '';
  const chooseWay = (output: string) => {
    contextOutput = output;
    return { via: '', gzip: false };
  };
  const times = await driveBare(port, plan({ chooseWay, steps: [{ label: 'hello', script: 'echo hello' }, { label: 'long', script: long }, { label: 'facts', script: systemFactsScript }] }));
  t.true(times.marks['shell-ready']! >= 400, `shell after ${times.marks['shell-ready']} ms`);
  t.true(times.marks['step:host-context']! >= times.marks['shell-ready']!);
  // Like the harness's findShell: a second probe round after the first answer, before any step.
  t.true(times.marks['shell-answered']! <= times.marks['shell-ready']!);
  const answeredProbes = guest.executed.filter((line) => line.startsWith('printf')).length;
  t.true(answeredProbes >= 2, `${answeredProbes} probes ran`);
  t.true(times.marks['step:facts']! >= times.marks['step:long']!);
  t.is(times.frames, 4);
  // The context script's output is decoded for the choice of nsenter (whatever this host's answer).
  t.regex(contextOutput, /^self_mnt=.*\ninit_mnt=/);
  t.is(times.via, '');
  // Busybox-like prompts ask for the cursor position; the driver answers like the harness.
  t.true(guest.received.includes('\x1b[1;1R'));
  // The long script went in acknowledged pieces, each line under the limit.
  t.true(guest.executed.some((line) => line.includes('__kt_s=')));
  t.true(guest.received.every((data) => Buffer.byteLength(data) <= 1000));
});

test('where the context script finds gzip, the bare driver types long scripts gzipped, as the harness does, and they run whole', async (t) => {
  const { port, guest } = fakePort({ chunking: 'random' });
  t.teardown(() => guest.close());
  const long = Array.from({ length: 300 }, (_, i) => `echo line ${i}`).join('\n');
  let answer = '';
  const steps = [
    { label: 'long', script: long },
    { label: 'after', script: 'echo fallback', fromAnswer: (output: string) => ((answer = output), 'true') },
  ];
  const times = await driveBare(port, plan({ chooseWay: (output) => decideSystemContext(output), steps }));
  // This machine's sh has base64 and gzip, as the reference guests' busybox has.
  t.true(times.gzip);
  t.true(guest.executed.some((line) => line.includes('gzip -dc')));
  t.is(answer, Array.from({ length: 300 }, (_, i) => `line ${i}\n`).join(''));
});

test('the bare driver survives kernel messages inside the output, as the harness framing does', async (t) => {
  const { port, guest } = fakePort({ printk: true, chunking: 'bytes' });
  t.teardown(() => guest.close());
  const times = await driveBare(port, plan());
  t.truthy(times.marks['step:hello']);
});

test('the answers the bare driver reads are decoded as the harness decodes them: a kernel message inside the frame is not read as data', async (t) => {
  const { port, guest } = fakePort({ printk: true, chunking: 'random' });
  t.teardown(() => guest.close());
  let contextOutput = '';
  let batchAnswer = '';
  const chooseWay = (output: string) => ((contextOutput = output), { via: '', gzip: false });
  const steps = [
    { label: 'batch', script: 'echo sampled_to=12.34; echo second line' },
    { label: 'next', script: 'echo fallback', fromAnswer: (answer: string) => ((batchAnswer = answer), 'echo built') },
  ];
  await driveBare(port, plan({ chooseWay, steps }));
  t.regex(contextOutput, /^self_mnt=mnt:\[\d+\]$/m);
  t.notRegex(contextOutput, /virtio_net/);
  t.is(batchAnswer, 'sampled_to=12.34\nsecond line\n');
});

test('the bare driver gives up at its deadline when no shell ever answers', async (t) => {
  const { port, guest } = fakePort({ neverStart: true });
  t.teardown(() => guest.close());
  await t.throwsAsync(driveBare(port, plan({ deadlineMs: 700 })), { message: /no shell within 700 ms/ });
});

test('the bare driver holds typing until the typeAfter text shows', async (t) => {
  const { port, guest } = fakePort({});
  t.teardown(() => guest.close());
  setTimeout(() => guest.kernel('[    1.000000] Run /init as init process\r\n'), 400);
  const times = await driveBare(port, plan({ typeAfter: { pattern: /Run \S+ as init process/, orAfterMs: 10_000 } }));
  t.true(times.marks['shell-ready']! >= 350);
  t.true(guest.received[0]?.startsWith('printf'));
});

test('the bare driver rejects when the guest goes away', async (t) => {
  let gone: () => void = () => {};
  const port: BarePort = { write: () => {}, onData: () => {}, closed: new Promise<void>((resolve) => (gone = resolve)) };
  setTimeout(() => gone(), 100);
  await t.throwsAsync(driveBare(port, plan()), { message: /guest ended/ });
});

test('the bare driver waits a step\'s afterMs after the answer before it, as the rng check waits its sample gap', async (t) => {
  const { port, guest } = fakePort({});
  t.teardown(() => guest.close());
  const times = await driveBare(port, plan({ steps: [{ label: 'one', script: 'echo one' }, { label: 'two', script: 'echo two', afterMs: 600 }] }));
  t.true(times.marks['step:two']! - times.marks['step:one']! >= 600, `second step ${times.marks['step:two']! - times.marks['step:one']!} ms after the first`);
  t.is(times.frames, 3);
});

test('the bare driver types a batch of several scripts, as the harness sends one poll, and waits for its end', async (t) => {
  const { port, guest } = fakePort({ chunking: 'random' });
  t.teardown(() => guest.close());
  const batch = batchScript(['echo first', 'printf no-newline', 'exit 3'], 'kt0123456789ab');
  const times = await driveBare(port, plan({ steps: [{ label: 'batch', script: batch }, { label: 'after', script: 'echo after' }] }));
  t.true(times.marks['step:after']! >= times.marks['step:batch']!);
  t.is(times.frames, 3);
});

test('guestWork records what each check types on its first attempt, in case order, and groups it as the harness polls', async (t) => {
  const cases = loadAllCases();
  const work = await guestWork(cases);
  t.is(work.context, systemContextScript);
  t.is(work.hostFacts, systemFactsScript);
  t.deepEqual(
    work.checks.map((c) => c.id),
    cases.filter((c) => c.check !== 'boot').map((c) => c.id),
  );
  t.regex(work.checks.find((c) => c.id === 'containerd')!.asked[0]!.script, /ctr version/);
  t.regex(work.checks.find((c) => c.id === 'runc')!.asked[0]!.script, /runc --root/);
  // One batch of every first script (the rng sample first, the host facts last), then the rng
  // case's second sample, built from the batch's answer to wait on the guest's clock.
  const rng = cases.find((c) => c.check === 'rng')!;
  const rngScript = work.checks.find((c) => c.check === 'rng')!.asked[0]!.script;
  t.deepEqual(
    work.polls.map((p) => [p.label, p.scripts.length, p.afterMs]),
    [
      ['evidence-1', work.checks.length + 1, 0],
      [`${rng.id}-second-sample`, 1, rng.settings.sampleGapMs ?? 3000],
    ],
  );
  t.is(work.polls[0]!.scripts[0], rngScript);
  t.is(work.polls[0]!.scripts.at(-1), systemFactsScript);
  t.is(work.polls[1]!.scripts[0], rngScript);
  const steps = guestSteps(work, () => 'abc');
  t.deepEqual(steps.map((s) => s.label), ['evidence-1', `${rng.id}-second-sample`]);
  t.is(steps[0]!.script, batchScript(work.polls[0]!.scripts, 'ktabc'));
  t.is(steps[1]!.script, rngScript);
  t.regex(steps[1]!.fromAnswer!('sampled_to=12.34')!, /-lt 1534 \]/);
});
