// A guest that hangs silently (init waits forever) is called within seconds of its last console
// line on every target, from QEMU's own CPU time, long before the boot timeout; a busy slow boot
// never is (every good boot in conformance.test.ts runs with the same default idleMs).
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTargets } from '../../src/config/targets.ts';
import type { Report } from '../../src/report/model.ts';
import { kittest } from '../helpers/cli.ts';
import { brokenImage } from '../helpers/images.ts';
import { limiter } from '../helpers/limit.ts';

const two = limiter(2);

for (const arch of ['x86_64', 'arm64', 's390x', 'ppc64le', 'riscv64']) {
  test(`a silent hang is called idle within 30 s of its last console line on ${arch}, long before bootMs`, async (t) => {
    const prefix = await brokenImage('hang', arch);
    const json = join(mkdtempSync(join(tmpdir(), 'kt-hang-')), 'r.json');
    const r = await two(() => kittest(['run', '--arch', arch, '--image', prefix, '--case', 'boot', '--json', json]));
    t.is(r.exitCode, 1);
    const run = (JSON.parse(readFileSync(json, 'utf8')) as Report).runs[0]!;
    const boot = run.cases.find((c) => c.id === 'boot')!;
    t.is(boot.status, 'failed');
    t.regex(boot.message, /while QEMU used \d+\.\d% of a CPU and waited for one \d+\.\d% of the time: the guest is idle/);
    t.regex(boot.message, /the boot stopped after the \w+ stage/);
    const silent = Number(/the console has been silent for (\d+\.\d) s/.exec(boot.message)?.[1]);
    t.true(silent < 30, `called ${silent} s after the last console line`);
    const bootMs = loadTargets().find((x) => x.name === arch)!.timeouts.bootMs;
    t.true(run.durationMs < bootMs / 2, `verdict after ${run.durationMs} ms, boot timeout ${bootMs} ms`);
  });
}
