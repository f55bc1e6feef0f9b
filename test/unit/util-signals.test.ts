import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.ts';

const src = (file: string) => JSON.stringify(join(projectRoot, 'src', 'util', file));

/** Start a node script that imports the signals module; resolves once it printed "ready". */
async function child(body: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kt-signals-'));
  const script = join(dir, 'child.mts');
  writeFileSync(script, `import { installSignalHandlers, onInterruptExit, stopOnInterrupt, exitCodeFor } from ${src('signals.ts')};\n${body}\n`);
  const proc = execa(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, reject: false, env: { DIR: dir } });
  await new Promise<void>((resolve) => proc.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
  return { proc, dir };
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} outside a machine's life runs the cleanups and exits ${code} with one line`, async (t) => {
    const { proc, dir } = await child(`
import { mkdirSync, rmSync } from 'node:fs';
import { buildOnce } from ${src('build-once.ts')};
installSignalHandlers((code) => process.exit(code));
await buildOnce(process.env.DIR + '/image', () => false, async () => {
  console.log('ready');
  await new Promise((resolve) => setTimeout(resolve, 60_000));
});`);
    t.true(readdirSync(dir).some((f) => f.startsWith('image.tmp-')), 'the build has its temp folder');
    proc.kill(signal);
    const result = await proc;
    t.is(result.exitCode, code);
    t.is(String(result.stderr), `kittest: ${signal} received, stopping`);
    t.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), []);
  });
}

test('while work can stop cleanly, a signal aborts it instead; a second one exits at once', async (t) => {
  const { proc, dir } = await child(`
import { writeFileSync } from 'node:fs';
installSignalHandlers((code) => process.exit(code));
const { signal } = stopOnInterrupt('stopping every machine');
signal.addEventListener('abort', () => writeFileSync(process.env.DIR + '/aborted', String(signal.reason)));
onInterruptExit(() => writeFileSync(process.env.DIR + '/cleaned', ''));
console.log('ready');
setInterval(() => {}, 1000);`);
  proc.kill('SIGINT');
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.true(existsSync(join(dir, 'aborted')));
  t.false(existsSync(join(dir, 'cleaned')), 'the first signal leaves the stopping to the work');
  proc.kill('SIGTERM');
  const result = await proc;
  t.is(result.exitCode, 143);
  t.true(existsSync(join(dir, 'cleaned')));
  t.deepEqual(String(result.stderr).split('\n'), ['kittest: SIGINT received, stopping every machine', 'kittest: SIGTERM received, stopping now']);
});
