// Ctrl-C and SIGTERM during a matrix: every QEMU ends, temp folders go, reports are kept.
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/report/model.ts';
import { kittestBin } from '../helpers/cli.ts';
import { referenceImage } from '../helpers/images.ts';

/** QEMU processes started by kittest runs whose private folder lives under `tmp`. */
async function qemusUnder(tmp: string): Promise<string[]> {
  const r = await execa('pgrep', ['-af', `qemu-system.*${tmp}/kittest-`], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean);
}

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
