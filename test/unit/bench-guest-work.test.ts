import test from 'ava';
import { evidencePolls, guestSteps, guestWork, pollScript, type CheckScripts } from '../../src/bench/guest-work.ts';
import { BatchedShell, batchScript } from '../../src/cases/batched-shell.ts';
import { checkNamed } from '../../src/cases/checks/index.ts';
import { systemFactsScript } from '../../src/cases/system-facts.ts';
import { type CaseDef } from '../../src/cases/case-files.ts';
import { loadAllCases } from '../../src/cases/case-folders.ts';

const def = (id: string, check: string, settings: CaseDef['settings'] = {}): CaseDef => ({ id, check, title: id, description: '', order: 0, settings }) as unknown as CaseDef;

test('the first poll batches every check\'s first script, a script asked for twice once', (t) => {
  const recorded: CheckScripts[] = [
    { id: 'a', check: 'containerd', asked: [{ script: 'echo a' }] },
    { id: 'b', check: 'runc', asked: [{ script: 'echo shared' }] },
    { id: 'c', check: 'dhcp', asked: [{ script: 'echo shared' }] },
  ];
  t.deepEqual(evidencePolls(recorded, []), [{ label: 'evidence-1', scripts: ['echo a', 'echo shared'], afterMs: 0 }]);
});

test('later scripts of a check go in later polls, in BatchedShell\'s order with the host facts last in the first, then the rng case\'s second sample', (t) => {
  const recorded: CheckScripts[] = [
    { id: 'a', check: 'containerd', asked: [{ script: 'a1' }, { script: 'a2' }] },
    { id: 'r', check: 'rng', asked: [{ script: 'scan', position: 'first' }] },
    { id: 'b', check: 'runc', asked: [{ script: 'b1' }, { script: 'b2' }, { script: 'b3' }] },
  ];
  const polls = evidencePolls(recorded, [def('r', 'rng', { sampleGapMs: 1234 })], 'facts');
  t.deepEqual(
    polls.map(({ fromAnswer, ...p }) => p),
    [
      { label: 'evidence-1', scripts: ['scan', 'a1', 'b1', 'facts'], afterMs: 0 },
      { label: 'evidence-2', scripts: ['a2', 'b2'], afterMs: 0 },
      { label: 'evidence-3', scripts: ['b3'], afterMs: 0 },
      { label: 'r-second-sample', scripts: ['scan'], afterMs: 1234 },
    ],
  );
  // The second sample waits on the guest's clock: 1234 ms (124 cs) after the first sample ended, read from the answer.
  const second = polls.at(-1)!.fromAnswer!;
  t.regex(second('sampled_from=99.50\nsampled_to=100.25\n')!, /-lt 10149 \]/);
  t.is(second('no clock here'), undefined);
});

test('the rng sample gap defaults to the check\'s own default when the case sets none', (t) => {
  const polls = evidencePolls([{ id: 'rng', check: 'rng', asked: [{ script: 'scan' }] }], [def('rng', 'rng')]);
  t.is(polls.at(-1)!.afterMs, 3000);
});

test('a poll of one script goes as it is; several go as the harness batch with a kt tag', (t) => {
  t.is(pollScript({ label: 'x', scripts: ['echo one'], afterMs: 0 }, 'ff'), 'echo one');
  t.is(pollScript({ label: 'x', scripts: ['echo one', 'echo two'], afterMs: 0 }, 'ff'), batchScript(['echo one', 'echo two'], 'ktff'));
});

test('guestSteps draws a fresh tag per batch and keeps each poll\'s wait', (t) => {
  let n = 0;
  const steps = guestSteps(
    {
      context: 'ctx',
      checks: [],
      polls: [
        { label: 'evidence-1', scripts: ['a', 'b'], afterMs: 0 },
        { label: 'evidence-2', scripts: ['c', 'd'], afterMs: 5 },
      ],
      hostFacts: 'facts',
    },
    () => String(++n),
  );
  t.deepEqual(
    steps.map((s) => [s.label, s.script, s.afterMs]),
    [
      ['evidence-1', batchScript(['a', 'b'], 'kt1'), 0],
      ['evidence-2', batchScript(['c', 'd'], 'kt2'), 5],
    ],
  );
});

test('the first poll is the very batch the harness sends when every check starts side by side', async (t) => {
  const cases = loadAllCases();
  const fixed = () => '00000000000a';
  const work = await guestWork(cases, fixed);
  // What runTarget does: every check at once on one BatchedShell; the shell below records and answers nothing.
  const sent: string[] = [];
  const batched = new BatchedShell({ run: async (script) => (sent.push(script), { status: 0, output: '', durationMs: 0 }) }, () => 'tag');
  let clock = 0;
  const wire = { mac: '52:54:00:00:00:00', readWire: () => ({ records: [] }) };
  await Promise.all([
    ...cases
      .filter((c) => c.check !== 'boot')
      .map((c) => checkNamed(c.check).check!({ system: batched, hostView: wire, settings: c.settings, settleMs: 0, timeoutMs: 3_600_000, nonce: fixed, now: () => (clock += 3_600_000) }).catch(() => undefined)),
    batched.run(systemFactsScript, { position: 'last' }).catch(() => undefined),
  ]);
  t.is(sent[0], pollScript(work.polls[0]!, 'tag'));
});
