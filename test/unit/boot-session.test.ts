// BootSession against a stand-in for QEMU (test/fixtures/fake-qemu/qemu.mjs): no guest, but a real
// process with a QMP socket and capture files, so the session's own wiring is what is tested.
import test from 'ava';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BootSession } from '../../src/boot/session.ts';
import { projectRoot } from '../../src/config/paths.ts';
import { loadTargets, type Target } from '../../src/config/targets.ts';
import type { BootFiles } from '../../src/images/boot-files.ts';
import { wireCapBytes } from '../../src/wire/capture.ts';

const fakeQemu = join(projectRoot, 'test', 'fixtures', 'fake-qemu', 'qemu.mjs');
const image: BootFiles = {
  prefix: '/images/ref',
  format: 'kernel+initrd',
  kernel: '/images/ref-kernel',
  initrd: '/images/ref-initrd.img',
  // A kernel command line may name a MAC of its own (ip=, a driver's option): not the NIC's.
  cmdline: 'panic=-1 ip=:::::eth0:dhcp virtio_net.x=1,mac=de:ad:be:ef:00:01',
  files: ['/images/ref-kernel', '/images/ref-initrd.img'],
};

function start(t: { teardown(fn: () => Promise<unknown>): void }, mode: string): BootSession {
  const x86 = loadTargets().find((x) => x.name === 'x86_64')!;
  const target: Target = { ...x86, qemu: { ...x86.qemu, binary: fakeQemu, extraArgs: ['-fake-mode', mode] } };
  const session = BootSession.start({ target, image, accel: { accel: 'tcg', reason: 'test' } });
  t.teardown(() => session.stop());
  return session;
}

async function until(what: string, holds: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!holds()) {
    if (Date.now() > end) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

test('DHCP is judged against the MAC kittest gave the NIC, not one the kernel command line names', async (t) => {
  const session = start(t, 'idle');
  const nic = session.argv.find((a) => a.startsWith('virtio-net-pci,') || (a.includes('netdev=net0') && a.includes(',mac=')))!;
  t.regex(session.argv[session.argv.indexOf('-append') + 1]!, /,mac=de:ad:be:ef:00:01/);
  t.regex(session.mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
  t.true(nic.endsWith(`mac=${session.mac}`) || nic.includes(`mac=${session.mac},`), nic);
  t.is(session.hostView().mac, session.mac);
});

test('a capture QEMU cannot write (TMPDIR full) is a host error: the console ends and the wire is not judged', async (t) => {
  const session = start(t, 'dump-error');
  await until('host error', () => session.hostError !== undefined);
  t.regex(session.hostError!, /^QEMU could not write the wire capture in \/.*kittest-x86_64-.* \(network dump write error; is \/.* full\?\)$/);
  t.is(session.engine.ended, session.hostError);
  t.throws(() => session.hostView().readWire(), { message: session.hostError });
});

test('a capture past its cap is stopped over QMP (object-del of both filters), read no further, and reported', async (t) => {
  const session = start(t, 'flood');
  const view = session.hostView();
  await until('object-del', () => session.machine.stderr.includes('qmp: object-del wire-tx'), 20_000);
  t.regex(session.machine.stderr, /qmp: object-del wire-rx/);
  const read = view.readWire();
  t.regex(read.capped ?? '', /^the wire capture passed its cap of 16 MiB at [\d.]+ s and was stopped; later frames are not recorded$/);
  t.true(read.records.length * (16 + 1024) <= wireCapBytes, 'never more than the cap is read');
  t.true(read.records.length > 10_000);
  t.is(session.hostError, undefined, 'the cap is a fact, not a host failure');
  const end = await session.stop();
  t.is(end.wireCapped, read.capped);
});
