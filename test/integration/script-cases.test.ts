// Script cases on real guests: a vendor's case folder passes on a good image built unlike the reference and fails,
// with the step and the guest's output, on an image that breaks what it checks.
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/paths.ts';
import type { Report } from '../../src/report/model.ts';
import { kittest } from '../helpers/cli.ts';
import { brokenImage } from '../helpers/images.ts';

const vendorCases = join(projectRoot, 'examples', 'vendor', 'cases');

const vendorProfile = join(projectRoot, 'examples', 'vendor', 'profiles', 'acme-core.yml');
const vendorTargets = join(projectRoot, 'examples', 'vendor', 'targets');

async function runVendorCases(prefix: string, select: string[], arch = 'x86_64') {
  const json = join(mkdtempSync(join(tmpdir(), 'kt-script-')), 'r.json');
  const r = await kittest(['run', '--targets', vendorTargets, '--arch', arch, '--image', prefix, '--cases', vendorCases, ...select, '--json', json]);
  const [run] = (JSON.parse(readFileSync(json, 'utf8')) as Report).runs;
  return { exitCode: r.exitCode, stderr: String(r.stderr), run: run!, json };
}

test('the example vendor profile passes on the vendor’s own board (a target file extending x86_64) with an image built unlike the reference (one-shot DHCP, no leftovers): sysfs, the wire, QMP, a step that waits for the RNG service; its statement verifies', async (t) => {
  const { exitCode, run, stderr, json } = await runVendorCases(await brokenImage('oneshot-dhcp'), ['--profile', vendorProfile], 'acme-pc');
  t.is(run.target, 'acme-pc');
  const argv = run.qemu.argv;
  t.is(argv[argv.indexOf('-machine') + 1], 'pc', "the board's machine type reached QEMU");
  t.is(argv[argv.indexOf('-smp') + 1], '2');
  t.is(exitCode, 0, `${stderr}\n${run.cases.map((c) => `${c.id}: ${c.status} ${c.message}`).join('\n')}`);
  t.is(run.cases.length, 9);
  const verify = await kittest(['report', 'verify', json, '--cases', vendorCases]);
  t.is(verify.exitCode, 0, String(verify.stdout));
  const nic = run.cases.find((c) => c.id === 'vendor-nic-virtio')!;
  t.regex(nic.message, /^3 steps held: \("eth0's driver"\), \("lease on the wire"\), \("the machine runs"\)$/);
  t.regex(nic.evidence, /ACK of 10\.0\.2\.15 at [\d.]+ s/);
  t.regex(nic.evidence, /QMP query-status: running/);
  t.regex(run.cases.find((c) => c.id === 'vendor-rng-held')!.evidence, /held by pid \d+/);
});

test('no-rngd: the vendor RNG case fails at its step, quoting what the guest printed', async (t) => {
  const { exitCode, run } = await runVendorCases(await brokenImage('no-rngd'), ['--case', 'vendor-nic-virtio,vendor-rng-held']);
  t.is(exitCode, 1);
  const rng = run.cases.find((c) => c.id === 'vendor-rng-held')!;
  t.is(rng.status, 'failed');
  t.is(rng.message, 'step 2 ("a process holds /dev/hwrng"): exit status 1, expected 0; output: "no process holds /dev/hwrng"');
  t.regex(rng.evidence, /does not hold after \d+ attempts/, 'the eventually step was retried within settleMs');
  t.is(run.cases.find((c) => c.id === 'vendor-nic-virtio')!.status, 'passed', 'only what the image breaks fails');
});
