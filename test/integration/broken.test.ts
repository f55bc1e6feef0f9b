// Each broken variant fails the case it breaks, with a message that says why, and only that.
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/report/model.ts';
import { kittest } from '../helpers/cli.ts';
import { brokenImage } from '../helpers/images.ts';
import { limiter } from '../helpers/limit.ts';
import { expectVerdicts } from '../helpers/verdicts.ts';

const two = limiter(2);

/** variant → cases expected to fail with their message; every other case must pass. */
const variants: Record<string, Record<string, RegExp>> = {
  'writable-root': { 'rootfs-immutable': /\/ \(\S+\) is mounted read-write/ },
  // With the RNG service gone and the DHCP client one-shot, no service is left to show isolation.
  'no-rngd': { rng: /no process reads \/dev\/hwrng \(10:183\) or feeds the kernel pool through \/dev\/random \(1:8\)/, 'services-isolated': /no service observed/ },
  'no-dhcp': { dhcp: /eth0 has no IPv4 address and the host saw no DHCP message from the guest's NIC/ },
  // rngd is a containerd service, so without containerd it cannot run either.
  'no-containerd': {
    containerd: /containerd does not answer on \/run\/containerd\/containerd\.sock/,
    rng: /no process reads \/dev\/hwrng \(10:183\) or feeds the kernel pool/,
    'services-isolated': /no service observed/,
    'services-declared': /service getty is declared but has no task in containerd's services\.linuxkit namespace/,
  },
  // An RNG service must run in a container to count, whichever way it feeds the kernel.
  'services-on-host': {
    'services-isolated': /rngd \(pid \d+, holds \/dev\/hwrng\) runs in PID 1's mount namespace/,
    rng: /not in a container: rngd \(pid \d+\) reads \/dev\/hwrng \(10:183\) but runs in PID 1's mount namespace/,
  },
};

for (const [variant, expected] of Object.entries(variants)) {
  test(`${variant}: ${Object.keys(expected).join(' and ')} fail${Object.keys(expected).length === 1 ? 's' : ''}, every other case passes`, async (t) => {
    const prefix = await brokenImage(variant);
    const json = join(mkdtempSync(join(tmpdir(), 'kt-broken-')), 'r.json');
    const r = await two(() => kittest(['run', '--arch', 'x86_64', '--image', prefix, '--json', json]));
    t.is(r.exitCode, 1, String(r.stderr));
    const [run] = (JSON.parse(readFileSync(json, 'utf8')) as Report).runs;
    expectVerdicts(t, run!, expected);
  });
}

test('no-init: the kernel panics, boot fails quoting the panic, and no other case passes', async (t) => {
  const prefix = await brokenImage('no-init');
  const json = join(mkdtempSync(join(tmpdir(), 'kt-broken-')), 'r.json');
  const r = await two(() => kittest(['run', '--arch', 'x86_64', '--image', prefix, '--json', json]));
  t.is(r.exitCode, 1);
  const [run] = (JSON.parse(readFileSync(json, 'utf8')) as Report).runs;
  t.is(run!.cases[0]!.status, 'failed');
  t.regex(run!.cases[0]!.message, /Kernel panic - not syncing/);
  for (const c of run!.cases.slice(1)) t.is(c.status, 'skipped');
});
