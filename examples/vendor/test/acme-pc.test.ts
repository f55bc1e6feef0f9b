// Acme's own tests of its PC board, written against kittest's API: one machine booted for the file,
// driven the way a person would at its console.
import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boot, type KittestMachine } from 'kittest';

const vendor = fileURLToPath(new URL('..', import.meta.url));
let machine: KittestMachine | undefined;

test.before(async () => {
  machine = await boot({ target: 'acme-pc', targets: [join(vendor, 'targets')], accel: 'tcg' });
});
test.after.always(async () => {
  await machine?.stop();
});

function booted(): KittestMachine {
  if (!machine) throw new Error('the board did not boot');
  return machine;
}

test.serial('the board is an i440FX PC with two CPUs and 768 MiB', async (t) => {
  const m = booted();
  // PCI 00:00.0 is the chipset's host bridge: 8086:1237 on i440FX (q35's would be 8086:29c0).
  t.is((await m.succeed('cat /sys/bus/pci/devices/0000:00:00.0/vendor /sys/bus/pci/devices/0000:00:00.0/device')).trim(), '0x8086\n0x1237');
  t.is((await m.succeed('grep -c ^processor /proc/cpuinfo')).trim(), '2');
  const memKiB = Number((await m.succeed("sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo")).trim());
  t.true(memKiB > 600 * 1024 && memKiB <= 768 * 1024, `MemTotal ${memKiB} kB`);
});

test.serial('eth0 is virtio and took its address from QEMU on the wire', async (t) => {
  const m = booted();
  t.regex((await m.succeed('readlink /sys/class/net/eth0/device/driver')).trim(), /\/virtio_net$/);
  const lease = m.lease();
  t.is(lease?.address, '10.0.2.15');
  t.regex(await m.waitUntilSucceeds('ip -4 addr show dev eth0', { timeoutMs: 30_000 }), new RegExp(`inet ${lease!.address.replace(/\./g, '\\.')}/`));
});

test.serial('the root filesystem refuses writes, the services run under containerd', async (t) => {
  const m = booted();
  t.regex(await m.fail('touch /acme-probe'), /Read-only file system/);
  t.regex(await m.waitUntilSucceeds('ctr -n services.linuxkit task ls', { timeoutMs: 60_000 }), /rngd\s+\d+\s+RUNNING/);
});

test.serial('the console shell lives in its own container, the checks in the system', async (t) => {
  const m = booted();
  const system = (await m.succeed('readlink /proc/self/ns/mnt')).trim();
  const getty = (await m.succeed('readlink /proc/self/ns/mnt', { in: 'console' })).trim();
  t.regex(system, /^mnt:\[\d+\]$/);
  t.not(getty, system);
  t.regex(await m.waitForConsole(/Run \S+ as init process/), /init process/);
  t.is(await m.status(), 'running');
});
