// The matrix of `kittest run` (src/matrix/run-matrix.ts) where it needs no QEMU: runs not started before an interrupt.
import test from 'ava';
import type { CaseDef } from '../../src/cases/case-files.ts';
import { loadTargets } from '../../src/config/targets.ts';
import type { BootFiles } from '../../src/images/boot-files.ts';
import { runMatrix } from '../../src/matrix/run-matrix.ts';

test('a matrix interrupted before its runs started reports each run and case interrupted, boots nothing and tells no progress', async (t) => {
  const [a, b] = loadTargets().filter((x) => x.default);
  const image = { prefix: '/images/ref', format: 'kernel+initrd', cmdline: '', files: [] } as unknown as BootFiles;
  const info = { path: '/images/ref', format: 'kernel+initrd', sha256: {}, sizeBytes: 0 };
  const cases = [{ id: 'boot', title: 'boots' }, { id: 'rng', title: 'has entropy' }] as CaseDef[];
  const stopped = new AbortController();
  stopped.abort('SIGINT');
  const told: string[] = [];
  const runs = await runMatrix({
    plans: [{ target: a!, image }, { target: b!, image }],
    images: new Map([[image, info]]),
    cases,
    jobs: 2,
    retries: 1,
    accel: 'tcg',
    signal: stopped.signal,
    progress: { started: (x) => told.push(x.name), judged: (x) => told.push(x.name), done: (x) => told.push(x.name) },
  });
  t.deepEqual(told, []);
  t.deepEqual(runs.map((r) => [r.target, r.status, r.attempts, r.message]), [
    [a!.name, 'interrupted', 0, 'interrupted before it started'],
    [b!.name, 'interrupted', 0, 'interrupted before it started'],
  ]);
  t.deepEqual(runs[0]!.cases.map((c) => [c.id, c.status, c.message]), [
    ['boot', 'interrupted', 'interrupted before the run started'],
    ['rng', 'interrupted', 'interrupted before the run started'],
  ]);
});
