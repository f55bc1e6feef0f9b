import test from 'ava';
import { AssertionFailed } from '../../src/errors.ts';
import { fail, succeed, waitUntilSucceeds, type CommandResult } from '../../src/console/verbs.ts';

/** A machine whose commands end as `results` say, one after another (the last one repeats). */
function scripted(...results: CommandResult[]) {
  const calls: { command: string; timeoutMs?: number }[] = [];
  const run = async (command: string, timeoutMs?: number) => {
    calls.push({ command, timeoutMs });
    return results[Math.min(calls.length, results.length) - 1]!;
  };
  return { run, calls };
}

test('succeed returns the output of a command that exits 0, and rejects any other status with the evidence', async (t) => {
  t.is(await succeed(scripted({ status: 0, output: 'ok\n' }).run, 'echo ok'), 'ok\n');
  const error = await t.throwsAsync(succeed(scripted({ status: 4, output: 'no such file\n' }).run, 'cat /nope'), { instanceOf: AssertionFailed });
  t.regex(error?.message ?? '', /^command "cat \/nope" failed with exit status 4; output:\n {2}\| no such file$/);
  t.is(error?.evidence, '$ cat /nope\nexit status 4\nno such file\n');
});

test('fail returns the output of a command that exits non-zero, and rejects a success with the evidence', async (t) => {
  t.is(await fail(scripted({ status: 1, output: 'denied\n' }).run, 'touch /x'), 'denied\n');
  const error = await t.throwsAsync(fail(scripted({ status: 0, output: '' }).run, 'true'), { instanceOf: AssertionFailed });
  t.regex(error?.message ?? '', /^command "true" succeeded but was expected to fail/);
  t.is(error?.evidence, '$ true\nexit status 0\n');
});

test('the evidence is bounded: the end of a huge output, the start of a huge command', async (t) => {
  const output = `${'x'.repeat(20_000)}END`;
  const command = `echo ${'y'.repeat(5000)}`;
  const error = await t.throwsAsync(succeed(scripted({ status: 1, output }).run, command), { instanceOf: AssertionFailed });
  const evidence = error?.evidence ?? '';
  t.true(evidence.length < 11_000);
  t.regex(evidence, /earlier characters cut\]\nx+END$/);
  t.true(evidence.startsWith(`$ ${command.slice(0, 2000)}…\nexit status 1\n`));
});

test('waitUntilSucceeds retries until success, bounding each attempt, and names the attempts and the last status when time runs out', async (t) => {
  const { run, calls } = scripted({ status: 1, output: 'not yet' }, { status: 0, output: 'there' });
  t.is(await waitUntilSucceeds(run, 'test -e /flag', { timeoutMs: 5000, intervalMs: 1, attemptTimeoutMs: 3000 }), 'there');
  t.is(calls.length, 2);
  t.true(calls.every((c) => c.command === 'test -e /flag' && c.timeoutMs !== undefined && c.timeoutMs <= 3000));

  let clock = 0;
  const slow = async () => {
    clock += 1000;
    return { status: 3, output: 'still not\n' };
  };
  const error = await t.throwsAsync(waitUntilSucceeds(slow, 'false', { timeoutMs: 2500, intervalMs: 500, attemptTimeoutMs: 1000, now: () => clock }), { instanceOf: AssertionFailed });
  t.regex(error?.message ?? '', /^command "false" did not succeed within 2500 ms \(2 attempts\); last exit status 3, last output:\n {2}\| still not$/);
  t.is(error?.evidence, '2 attempts within 2500 ms; the last:\n$ false\nexit status 3\nstill not\n');
});
