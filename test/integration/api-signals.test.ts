// The library API and the program's end: a program that booted a machine and is sent SIGTERM, or
// exits, leaves no QEMU and no run folder, and its own signal handling stays its own.
import test from 'ava';
import { execa } from 'execa';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../src/config/paths.ts';
import { referenceImage } from '../helpers/images.ts';
import { qemusUnder } from '../helpers/qemu-processes.ts';

const child = join(projectRoot, 'test', 'fixtures', 'api-child.ts');

/** Start the child program in `mode` with its own TMPDIR, and wait until its QEMU runs. */
async function start(t: { teardown(fn: () => void): void }, mode: string) {
  const image = await referenceImage('x86_64');
  const tmp = mkdtempSync(join(tmpdir(), 'kt-int-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const program = execa(process.execPath, ['--import', 'tsx', child, mode, image], { reject: false, env: { TMPDIR: tmp } });
  const deadline = Date.now() + 60_000;
  while ((await qemusUnder(tmp)).length === 0 && program.exitCode === null && Date.now() < deadline) await sleep(200);
  return { program, tmp };
}

test.serial('SIGTERM to a program with no handler of its own kills its machine and ends it by SIGTERM', async (t) => {
  const { program, tmp } = await start(t, 'plain');
  t.is((await qemusUnder(tmp)).length, 1);
  await sleep(1000);
  program.kill('SIGTERM');
  const result = await program;
  t.is(result.signal, 'SIGTERM', `${result.exitCode} ${String(result.stderr)}`);
  t.deepEqual(await qemusUnder(tmp), []);
  t.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('kittest-')), []);
});

test.serial("SIGTERM to a program with its own handler kills the machine and leaves the rest to the program's handler", async (t) => {
  const { program, tmp } = await start(t, 'own-handler');
  t.is((await qemusUnder(tmp)).length, 1);
  await sleep(1000);
  program.kill('SIGTERM');
  await new Promise<void>((resolve) => program.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('own handler') && resolve()));
  await sleep(300);
  t.deepEqual(await qemusUnder(tmp), [], 'the machine is gone while the program still runs');
  t.is(program.exitCode, null, 'the program decides when to exit');
  const result = await program;
  t.is(result.exitCode, 7, String(result.stderr));
  t.regex(String(result.stdout), /boot ended: boot on x86_64 interrupted: console ended \(interrupted\)/, 'a boot the signal cut short is interrupted, not failed');
  t.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('kittest-')), []);
});

test.serial('a program that exits while its machine runs leaves no QEMU behind', async (t) => {
  const { program, tmp } = await start(t, 'exit');
  const result = await program;
  t.is(result.exitCode, 0, String(result.stderr));
  await sleep(300);
  t.deepEqual(await qemusUnder(tmp), []);
  t.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('kittest-')), []);
});
