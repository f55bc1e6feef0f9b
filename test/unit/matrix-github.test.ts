import test from 'ava';
import { matrixCommand } from '../../src/commands/matrix.ts';
import { loadTargets } from '../../src/config/targets.ts';
import { UsageError } from '../../src/errors.ts';
import { githubMatrix } from '../../src/matrix/github-matrix.ts';

/** Run the command in-process and return what it printed. */
async function matrixOutput(values: Record<string, unknown>): Promise<string> {
  const write = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await matrixCommand(values);
    if (code !== 0) throw new Error(`exit ${code}`);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

const defaults = () => loadTargets().filter((t) => t.default).map((t) => t.name);

test.serial('matrix --format github prints one line of JSON with a job per default target', async (t) => {
  const out = await matrixOutput({ format: 'github' });
  t.true(out.endsWith('\n'));
  // $GITHUB_OUTPUT takes name=value on one line.
  t.is(out.trimEnd().split('\n').length, 1);
  const matrix = JSON.parse(out) as { include: { target: string }[] };
  t.deepEqual(Object.keys(matrix), ['include']);
  t.deepEqual(matrix.include, defaults().map((target) => ({ target })));
  t.true(matrix.include.length > 0);
});

test.serial('matrix --shards 2 gives two shard jobs that together run every default target once', async (t) => {
  const matrix = JSON.parse(await matrixOutput({ format: 'github', shards: '2' })) as { include: { shard: string; targets: string }[] };
  t.is(matrix.include.length, 2);
  t.deepEqual(matrix.include.map((e) => e.shard), ['1/2', '2/2']);
  const all = matrix.include.flatMap((e) => e.targets.split(','));
  t.deepEqual([...all].sort(), [...defaults()].sort());
  t.is(new Set(all).size, all.length);
});

test('shards split round-robin in file order, as kittest run --shard does', (t) => {
  const targets = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, default: true }));
  t.deepEqual(githubMatrix(targets, 2), { include: [{ shard: '1/2', targets: 'a,c,e' }, { shard: '2/2', targets: 'b,d' }] });
  t.deepEqual(githubMatrix(targets, 1), { include: [{ shard: '1/1', targets: 'a,b,c,d,e' }] });
});

test('targets that are not default stay out of the matrix', (t) => {
  const targets = [{ name: 'x86_64', default: true }, { name: 'riscv64', default: false }, { name: 'arm64', default: true }];
  t.deepEqual(githubMatrix(targets), { include: [{ target: 'x86_64' }, { target: 'arm64' }] });
  t.deepEqual(githubMatrix(targets, 2).include.map((e) => ('targets' in e ? e.targets : '')), ['x86_64', 'arm64']);
});

test('more shards than default targets is a usage error', (t) => {
  const targets = [{ name: 'x86_64', default: true }, { name: 'arm64', default: true }];
  t.throws(() => githubMatrix(targets, 3), { instanceOf: UsageError, message: /--shards 3 is more than the 2 default targets \(x86_64, arm64\)/ });
});

const bad: [string, Record<string, unknown>, RegExp][] = [
  ['an unknown --format', { format: 'gitlab' }, /matrix: unknown --format "gitlab" \(formats: github\)/],
  ['a missing --format', {}, /matrix: --format is required/],
  ['a --shards that is not a number', { format: 'github', shards: 'two' }, /--shards must be an integer >= 1, got "two"/],
  ['--shards 0', { format: 'github', shards: '0' }, /--shards must be an integer >= 1, got "0"/],
];
for (const [what, values, message] of bad) {
  test(`${what} is a usage error`, async (t) => {
    await t.throwsAsync(() => matrixCommand(values), { instanceOf: UsageError, message });
  });
}
