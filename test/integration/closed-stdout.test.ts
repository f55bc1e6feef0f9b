// `kittest run | head -1`: the reader goes away after the first line. kittest stops printing, but
// the run finishes, its report is written and no QEMU or run folder is left behind.
import test from 'ava';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/report/model.ts';
import { kittestBin } from '../helpers/cli.ts';
import { referenceImage } from '../helpers/images.ts';
import { qemusUnder } from '../helpers/qemu-processes.ts';

test('a stdout closed after the first line ends the printing, not the run: report written, no QEMU left', async (t) => {
  await referenceImage('x86_64');
  const tmp = mkdtempSync(join(tmpdir(), 'kt-int-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const json = join(tmp, 'report.json');
  const child = execa(process.execPath, [kittestBin, 'run', '--arch', 'x86_64', '--case', 'boot,dhcp', '--json', json], { reject: false, env: { TMPDIR: tmp, NO_COLOR: '1' } });
  // As `| head -1` does: read the first line, then close the pipe while QEMU runs.
  const first = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  t.regex(first, /^start x86_64 /);
  t.is((await qemusUnder(tmp)).length, 1, 'QEMU runs while the pipe is closed');
  child.stdout!.destroy();
  const result = await child;
  t.notRegex(String(result.stderr), /EPIPE|internal error|Unhandled/, String(result.stderr));
  t.is(result.exitCode, 0, String(result.stderr));
  t.true(existsSync(json));
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  t.deepEqual(report.runs.map((r) => [r.target, r.status]), [['x86_64', 'passed']]);
  t.deepEqual(await qemusUnder(tmp), []);
  t.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('kittest-')), []);
});
