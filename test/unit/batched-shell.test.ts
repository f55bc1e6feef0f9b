import test from 'ava';
import { execa } from 'execa';
import { BatchedShell, batchOrder, batchScript, splitBatch } from '../../src/cases/batched-shell.ts';
import type { GuestShell, ScriptResult } from '../../src/cases/check.ts';

// Scripts of the shapes the checks send: case patterns with ")", an early exit, output without a final newline.
const scripts = [
  'for x in a b; do case "$x" in a) echo "got a";; *) echo other;; esac; done',
  'echo before; exit 3; echo after',
  "printf 'no newline'",
  'echo "kt0 0 e 0"; printf "\\n"', // looks like a marker of another batch's tag
];

for (const shell of ['dash', 'busybox']) {
  test(`a batch run by ${shell} gives each script exactly its output and status`, async (t) => {
    const argv = shell === 'busybox' ? ['busybox', ['sh', '-c']] as const : ['dash', ['-c']] as const;
    const { stdout } = await execa(argv[0], [...argv[1], batchScript(scripts, 'ktabc')], { stripFinalNewline: false });
    const parts = splitBatch(stdout, 'ktabc', scripts.length);
    t.deepEqual(parts, [
      { status: 0, output: 'got a\nother\n' },
      { status: 3, output: 'before\n' },
      { status: 0, output: 'no newline' },
      { status: 0, output: 'kt0 0 e 0\n\n' },
    ]);
  });
}

test('a part whose end marker is missing is undefined, the others still split', (t) => {
  const output = 'ktx 0 b\nfirst\n\nktx 0 e 0\nktx 1 b\ncut off';
  t.deepEqual(splitBatch(output, 'ktx', 2), [{ status: 0, output: 'first\n' }, undefined]);
});

/** An inner shell that records every script and answers by running it with dash. */
function recordingShell(): GuestShell & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async run(script: string): Promise<ScriptResult> {
      calls.push(script);
      const r = await execa('dash', ['-c', script], { reject: false, stripFinalNewline: false });
      return { status: r.exitCode ?? 1, output: r.stdout, durationMs: 1 };
    },
  };
}

test('scripts asked for at the same moment go to the guest as one, a repeated one runs once', async (t) => {
  const inner = recordingShell();
  let n = 0;
  const shell = new BatchedShell(inner, () => String(n++));
  const [a, b, c] = await Promise.all([shell.run('echo a'), shell.run('echo b; exit 2'), shell.run('echo a')]);
  t.is(inner.calls.length, 1);
  t.is(inner.calls[0]!.match(/echo a/g)?.length, 1);
  t.deepEqual([a.output, a.status, b.output, b.status, c.output], ['a\n', 0, 'b\n', 2, 'a\n']);
});

test('scripts asked for while a batch runs go out together in the next one', async (t) => {
  const inner = recordingShell();
  const shell = new BatchedShell(inner, () => 'x');
  const first = shell.run('sleep 0.2; echo first');
  await new Promise((r) => setTimeout(r, 80));
  const later = [shell.run('echo second'), shell.run('echo third')];
  const outputs = await Promise.all([first, ...later]);
  t.deepEqual(outputs.map((o) => o.output), ['first\n', 'second\n', 'third\n']);
  t.is(inner.calls.length, 2);
  t.is(inner.calls[0], 'sleep 0.2; echo first', 'a lone script is sent as it is');
});

test('a failing batch rejects every script in it, and the next batch still runs', async (t) => {
  let fail = true;
  const inner: GuestShell = {
    async run(script) {
      if (fail) {
        fail = false;
        throw new Error('console gone');
      }
      return { status: 0, output: script.includes('b') ? 'ok' : '', durationMs: 1 };
    },
  };
  const shell = new BatchedShell(inner, () => 'x');
  const results = await Promise.allSettled([shell.run('a'), shell.run('b')]);
  t.true(results.every((r) => r.status === 'rejected' && /console gone/.test(String(r.reason))));
  t.is((await shell.run('b')).output, 'ok');
});

test('a batch whose answer lacks a part rejects that script with a reason', async (t) => {
  const inner: GuestShell = { run: async () => ({ status: 0, output: 'garbage', durationMs: 1 }) };
  const shell = new BatchedShell(inner, () => 'x');
  const results = await Promise.allSettled([shell.run('echo a'), shell.run('echo b')]);
  t.true(results.every((r) => r.status === 'rejected' && /lacks the part/.test(String(r.reason))));
});

test('a batch runs `first` scripts first and `last` ones last, each group in the order asked; a repeat takes its earliest place', (t) => {
  t.deepEqual(
    batchOrder([
      { script: 'a' },
      { script: 'facts', position: 'last' },
      { script: 'sample', position: 'first' },
      { script: 'b' },
      { script: 'wait', position: 'last' },
      { script: 'facts' },
    ]),
    ['sample', 'a', 'facts', 'b', 'wait'],
  );
});

test('BatchedShell sends a `first` script ahead of those asked before it', async (t) => {
  const inner = recordingShell();
  const shell = new BatchedShell(inner, () => 'p');
  const results = await Promise.all([shell.run('echo a'), shell.run('echo z', { position: 'last' }), shell.run('echo s', { position: 'first' })]);
  t.deepEqual(results.map((r) => r.output), ['a\n', 'z\n', 's\n']);
  const sent = inner.calls[0]!;
  t.true(sent.indexOf('echo s') < sent.indexOf('echo a') && sent.indexOf('echo a') < sent.indexOf('echo z'));
});
