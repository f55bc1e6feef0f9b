import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Whether process `pid` is still there. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A stand-in QEMU that writes its PID to DIR/pid and waits (it ignores stdin's end, as QEMU might). */
function fakeQemu(dir: string): string {
  const file = join(dir, 'qemu-system-fake');
  writeFileSync(file, `#!/bin/sh\necho $$ > "${dir}/pid"\nexec sleep 60 </dev/null\n`, { mode: 0o755 });
  return file;
}

async function pidIn(dir: string): Promise<number> {
  for (let i = 0; i < 100 && !existsSync(join(dir, 'pid')); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return Number(readFileSync(join(dir, 'pid'), 'utf8'));
}

const starters: [string, string][] = [
  ["the bench's bare driver", `import { runBare } from ${JSON.stringify(join(projectRoot, 'src', 'bench', 'bare-driver.ts'))};
void runBare([QEMU], { typeAfter: { pattern: /never/, orAfterMs: 60_000 }, probeEveryMs: 1000, maxLineBytes: 1000, context: 'true', chooseWay: () => ({ via: '', gzip: false }), steps: [], deadlineMs: 60_000 }).catch(() => {});`],
  ["the KVM probe", `import { probeKvm } from ${JSON.stringify(join(projectRoot, 'src', 'qemu', 'accel.ts'))};
void probeKvm({ qemu: { binary: QEMU, machine: 'q35', cpu: { tcg: 'max' } } }, 1000, 60_000);`],
];
for (const [what, start] of starters) {
  test(`a second signal stops the QEMU of ${what}`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-fake-qemu-'));
    const { proc } = await child(`
installSignalHandlers((code) => process.exit(code));
stopOnInterrupt('stopping the bench');
const QEMU = ${JSON.stringify(fakeQemu(dir))};
${start}
console.log('ready');
setInterval(() => {}, 1000);`);
    const pid = await pidIn(dir);
    t.true(alive(pid));
    proc.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    proc.kill('SIGINT');
    t.is((await proc).exitCode, 130);
    for (let i = 0; i < 40 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const left = alive(pid);
    if (left) process.kill(pid, 'SIGKILL');
    t.false(left, 'the QEMU is gone when kittest exits');
  });
}
