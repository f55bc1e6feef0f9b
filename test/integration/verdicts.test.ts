// Trust in verdicts, on real guests: images built unlike the reference must get the right verdict
// from evidence the image cannot fake (the wire, QMP, the kernel's view of processes).
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report, RunReport } from '../../src/report/model.ts';
import { dhcpExchange } from '../../src/wire/dhcp.ts';
import { parsePcap } from '../../src/wire/pcap.ts';
import { bySource } from '../helpers/wire.ts';
import { kittest } from '../helpers/cli.ts';
import { brokenImage } from '../helpers/images.ts';
import { limiter } from '../helpers/limit.ts';
import { expectVerdicts } from '../helpers/verdicts.ts';

const two = limiter(2);

interface VariantRun {
  readonly exitCode: number | undefined;
  readonly run: RunReport;
  /** This run's artifacts folder (console.log, network.pcap, ...). */
  readonly artifacts: string;
}

async function runVariant(variant: string, arch: string): Promise<VariantRun> {
  const prefix = await brokenImage(variant, arch);
  const out = mkdtempSync(join(tmpdir(), `kt-verdicts-${variant}-`));
  const r = await two(() => kittest(['run', '--arch', arch, '--image', prefix, '--json', join(out, 'r.json'), '--artifacts', join(out, 'art')]));
  const [run] = (JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as Report).runs;
  // Artifacts go to art/<target>/attempt-N/.
  const attempts = join(out, 'art', arch);
  const artifacts = join(attempts, readdirSync(attempts).sort().at(-1)!);
  return { exitCode: r.exitCode, run: run!, artifacts };
}

test('static-lease: a static address with lease files and a process named udhcpc fails dhcp, from the wire', async (t) => {
  const { exitCode, run } = await runVariant('static-lease', 'x86_64');
  t.is(exitCode, 1);
  expectVerdicts(t, run, { dhcp: /eth0 holds 10\.0\.2\.15\/24, but the host saw no DHCP message from the guest's NIC \(52:54:00:[0-9a-f:]+\): not a DHCP lease/ });
  const dhcp = run.cases.find((c) => c.id === 'dhcp')!;
  t.regex(dhcp.evidence, /lease_file=\/run\/dhcp\/eth0\.lease/, 'the leftovers are in the evidence, as context');
});

test('fake-rngd: a process merely named rngd, in a container, fails rng', async (t) => {
  const { exitCode, run } = await runVariant('fake-rngd', 'x86_64');
  t.is(exitCode, 1);
  expectVerdicts(t, run, { rng: /rngd \(pid \d+\) runs but has no RNG source open/ });
});

test('crashloop-rngd: the real rngd, restarted every 2 s, fails rng as a crash-looping service', async (t) => {
  const { exitCode, run } = await runVariant('crashloop-rngd', 'x86_64');
  t.is(exitCode, 1);
  // Which of the two a sample sees depends on where it lands in the 2 s loop: a restarted holder,
  // or none at all between two lives. Both fail the service for dying.
  expectVerdicts(t, run, { rng: /restarted .*a crash-looping service|held \/dev\/hwrng open in an earlier sample and is gone/ });
});

test('panic-after-shell: a panic while the cases run fails the run, and QEMU reports it over QMP', async (t) => {
  const { exitCode, run } = await runVariant('panic-after-shell', 'x86_64');
  t.is(exitCode, 1);
  t.is(run.status, 'failed');
  t.is(run.cases[0]!.status, 'passed', 'the shell answered before the panic');
  t.regex(run.machineFailure?.what ?? '', /sysrq triggered crash|GUEST_PANICKED/);
  t.true(run.cases.some((c) => c.status === 'failed' && /Kernel panic|GUEST_PANICKED/.test(c.message)), 'the case that was running fails');
  t.false(run.cases.some((c) => c.status === 'error'), 'a guest panic is the image failing, not an error');
  // pvpanic (x86_64: ISA pvpanic + the guest's pvpanic_mmio): the host sees the panic itself.
  t.true(run.qmp?.events.some((e) => e.event === 'GUEST_PANICKED'), JSON.stringify(run.qmp));
});

for (const arch of ['x86_64', 'arm64', 's390x']) {
  test(`oneshot-dhcp on ${arch}: a client that leaves nothing in the guest passes dhcp from the wire, and every other case`, async (t) => {
    const { exitCode, run, artifacts } = await runVariant('oneshot-dhcp', arch);
    t.is(exitCode, 0, run.cases.map((c) => `${c.id}: ${c.status} ${c.message}`).join('\n'));
    expectVerdicts(t, run, {});
    const dhcp = run.cases.find((c) => c.id === 'dhcp')!;
    t.regex(dhcp.message, /leased on the wire \(xid 0x[0-9a-f]{8}, ACK at [\d.]+ s/);
    t.notRegex(dhcp.evidence, /lease_file=/, 'no lease file was left');
    t.regex(run.cases.find((c) => c.id === 'services-isolated')!.message, /DHCP client not observed/);
    // The capture is an artifact, and the boot timeline has the ACK.
    const pcap = join(artifacts, 'network.pcap');
    t.true(existsSync(pcap));
    const mac = run.qemu.argv.find((a) => a.includes(',mac='))!.replace(/.*,mac=([0-9a-f:]+).*/, '$1');
    t.is(dhcpExchange(bySource(parsePcap(readFileSync(pcap)).records, mac), mac).lease?.address, '10.0.2.15');
    t.true((run.timeline['dhcp-ack'] ?? 0) > 0);
  });
}

test('chatty-console on arm64: a service writing to the console mid-frame breaks no framing, every case passes', async (t) => {
  const { exitCode, run, artifacts } = await runVariant('chatty-console', 'arm64');
  t.is(exitCode, 0, run.cases.map((c) => `${c.id}: ${c.status} ${c.message}`).join('\n'));
  expectVerdicts(t, run, {});
  t.regex(readFileSync(join(artifacts, 'console.log'), 'utf8'), /chatty\[\d+\]: tick/, 'the service really chattered');
});
