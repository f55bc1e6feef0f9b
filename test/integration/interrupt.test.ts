// Ctrl-C and SIGTERM during a matrix: every QEMU ends, temp folders go, reports are kept.
// During an image build: the build's temp folder goes and kittest exits 130/143 at once.
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../../src/config/paths.ts';
import type { Report } from '../../src/report/model.ts';
import { kittestBin } from '../helpers/cli.ts';
import { referenceImage } from '../helpers/images.ts';
import { qemusUnder } from '../helpers/qemu-procs.ts';

for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
  test.serial(`${signal} during a matrix stops every QEMU, removes temp folders, keeps the report and exits ${code}`, async (t) => {
    for (const target of ['x86_64', 'arm64', 's390x']) await referenceImage(target);
    const tmp = mkdtempSync(join(tmpdir(), 'kt-int-'));
    const json = join(tmp, 'report.json');
    const child = execa(process.execPath, [kittestBin, 'run', '--jobs', '2', '--json', json], { reject: false, env: { TMPDIR: tmp, NO_COLOR: '1' } });
    // Wait until two machines are up, then interrupt.
    const deadline = Date.now() + 120_000;
    while ((await qemusUnder(tmp)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    t.is((await qemusUnder(tmp)).length, 2);
    await new Promise((r) => setTimeout(r, 3000));
    child.kill(signal);
    const result = await child;
    t.is(result.exitCode, code, String(result.stderr));
    t.deepEqual(await qemusUnder(tmp), []);
    t.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('kittest-')), []);
    t.true(existsSync(json));
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    t.is(report.runs.length, 5);
    t.true(report.runs.every((r) => r.status === 'interrupted'), report.runs.map((r) => `${r.target}:${r.status}`).join(' '));
    t.true(report.summary.interrupted > 0);
  });
}

// The build is interrupted inside buildOnce (its temp folder exists) without any download: the
// fresh cache shares the package lists and .debs of the main one, so only the image is rebuilt.
for (const [signal, code, args] of [
  ['SIGINT', 130, ['build', '--arch', 'x86_64']],
  ['SIGTERM', 143, ['run', '--arch', 'x86_64', '--case', 'boot']],
] as const) {
  test.serial(`${signal} during the image build of kittest ${args[0]} leaves no temp folder in the cache and exits ${code}`, async (t) => {
    await referenceImage('x86_64'); // the .debs are in the main cache
    const cache = mkdtempSync(join(tmpdir(), 'kt-int-cache-'));
    t.teardown(() => rmSync(cache, { recursive: true, force: true }));
    symlinkSync(join(cacheDir(), 'apt'), join(cache, 'apt'));
    const images = join(cache, 'images', 'x86_64');
    mkdirSync(images, { recursive: true });
    const child = execa(process.execPath, [kittestBin, ...args], { reject: false, env: { KITTEST_CACHE: cache, NO_COLOR: '1' } });
    let stderr = '';
    const tmpSeen = await new Promise<string[]>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Logged inside the build, before the initramfs is compressed and renamed into place.
        if (stderr.includes('writing the initramfs')) resolve(readdirSync(images).filter((f) => f.includes('.tmp-')));
      });
      void child.then(() => resolve([]));
    });
    t.is(tmpSeen.length, 1, `the build had its temp folder when interrupted; stderr: ${stderr}`);
    child.kill(signal);
    const result = await child;
    t.is(result.exitCode, code, String(result.stderr));
    const lines = String(result.stderr).split('\n');
    t.is(lines.at(-1), `kittest: ${signal} received, stopping`);
    t.deepEqual(readdirSync(images).filter((f) => !f.endsWith('.lock')), [], 'no temp folder and no image');
  });
}
