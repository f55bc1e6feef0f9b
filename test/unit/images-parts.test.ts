import test from 'ava';
import { compareDebianVersions } from '../../src/images/debversion.ts';
import { chooseCompression, chooseInitramfsCompression } from '../../src/images/compress.ts';
import { readElfNeeds } from '../../src/images/elf.ts';
import { globToRegExp } from '../../src/images/glob.ts';
import { moduleName, parseModulesDep } from '../../src/images/modules-dep.ts';
import { bootScript, containerSpec } from '../../src/images/oci.ts';
import { shellQuote } from '../../src/util/shell-quote.ts';
import { parsePackages } from '../../src/images/apt.ts';
import { busyboxApplets } from '../../src/images/rootfs.ts';
import { loadDefinition, referenceDefinition } from '../../src/images/definition.ts';
import { readFileSync } from 'node:fs';

test('Debian versions order by epoch, upstream version, tilde and revision', (t) => {
  t.true(compareDebianVersions('1:1.0', '2.0') > 0);
  t.true(compareDebianVersions('1.7.24~ds1-6', '1.7.24-1') < 0);
  t.true(compareDebianVersions('6.12.118-1', '6.12.117-1') > 0);
  t.true(compareDebianVersions('2.41-12+deb13u5', '2.41-12') > 0);
  t.is(compareDebianVersions('1.0-1', '1.0-1'), 0);
  t.true(compareDebianVersions('1.10', '1.9') > 0);
});

test('package include globs keep * within a segment and let ** cross segments', (t) => {
  t.true(globToRegExp('usr/lib/*/libc.so*').test('usr/lib/x86_64-linux-gnu/libc.so.6'));
  t.false(globToRegExp('usr/lib/*/lib*.so*').test('usr/lib/x86_64-linux-gnu/gconv/IBM1390.so'));
  t.true(globToRegExp('usr/share/doc/**').test('usr/share/doc/libc6/copyright'));
});

test('a Packages index is parsed into name, version, file and checksum', (t) => {
  const text = 'Package: runc\nVersion: 1.1.15+ds1-2+b4\nArchitecture: amd64\nDepends: libc6 (>= 2.38)\nFilename: pool/main/r/runc/runc.deb\nSize: 3229748\nSHA256: abc\nDescription: x\n more\n\nPackage: broken\n';
  const [runc, ...rest] = parsePackages(text, 'http://deb.debian.org/debian');
  t.is(rest.length, 0);
  t.like(runc, { name: 'runc', version: '1.1.15+ds1-2+b4', arch: 'amd64', size: 3229748, sha256: 'abc', depends: 'libc6 (>= 2.38)' });
});

test('modules.dep names are normalised and keep their dependency order', (t) => {
  t.is(moduleName('kernel/drivers/char/hw_random/virtio-rng.ko.xz'), 'virtio_rng');
  const dep = parseModulesDep('kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz\nkernel/net/core/failover.ko.xz:\n');
  t.deepEqual(dep.get('virtio_net')?.deps, ['kernel/drivers/net/net_failover.ko.xz', 'kernel/net/core/failover.ko.xz']);
  t.deepEqual(dep.get('failover')?.deps, []);
});

test('the squashfs root compression follows the kernel configuration', (t) => {
  t.is(chooseCompression('CONFIG_RD_GZIP=y\nCONFIG_RD_XZ=y\nCONFIG_RD_ZSTD=y\n'), 'zstd');
  t.is(chooseCompression('CONFIG_RD_GZIP=y\nCONFIG_RD_XZ=y\n# CONFIG_RD_ZSTD is not set\n'), 'xz');
  t.is(chooseCompression('CONFIG_RD_GZIP=y\n'), 'gzip');
});

test('the initramfs compression is the fastest the kernel unpacks: lz4 where it can', (t) => {
  t.is(chooseInitramfsCompression('CONFIG_RD_GZIP=y\nCONFIG_RD_LZ4=y\nCONFIG_RD_ZSTD=y\n'), 'lz4');
  t.is(chooseInitramfsCompression('CONFIG_RD_GZIP=y\n# CONFIG_RD_LZ4 is not set\nCONFIG_RD_ZSTD=y\n'), 'zstd');
});

test('the ELF reader finds the loader and NEEDED libraries of a host program', (t) => {
  const needs = readElfNeeds(readFileSync(process.execPath));
  t.truthy(needs?.interpreter?.includes('ld-linux'));
  t.true(needs?.needed.includes('libc.so.6'));
  t.is(readElfNeeds(Buffer.from('#!/bin/sh\n'.padEnd(100))), null);
});

test('busybox applet names are read from the binary itself', (t) => {
  const applets = busyboxApplets(readFileSync('/usr/bin/busybox'));
  for (const name of ['sh', 'nsenter', 'cttyhack', 'udhcpc', 'ip', 'mount']) t.true(applets.includes(name), name);
});

test('an onboot spec with host networking has no network namespace and the asked capabilities', (t) => {
  const def = loadDefinition(referenceDefinition);
  const dhcp = def.onboot[0]!;
  const spec = containerSpec(dhcp) as { linux: { namespaces: { type: string }[] }; process: { capabilities: { bounding: string[] } }; root: { readonly: boolean }; mounts: { destination: string }[] };
  t.deepEqual(spec.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'pid', 'uts']);
  t.true(spec.process.capabilities.bounding.includes('CAP_NET_ADMIN'));
  t.true(spec.root.readonly);
  t.true(spec.mounts.some((m) => m.destination === '/run/dhcp'));
});

interface Spec {
  root: { path: string; readonly: boolean };
  annotations?: Record<string, string>;
  hostname?: string;
  linux: { cgroupsPath?: string; namespaces: { type: string }[] };
  process: { args: string[]; capabilities: { effective: string[]; bounding: string[] } };
  mounts: { destination: string; source: string }[];
}

test("a service's declaration is its OCI spec in LinuxKit's layout: host namespaces only where shared, one shim group, its own cgroup", (t) => {
  const def = loadDefinition(referenceDefinition);
  const getty = def.services.find((s) => s.name === 'getty')!;
  const spec = containerSpec(getty, { namespace: 'services.linuxkit' }) as Spec;
  t.deepEqual(spec.root, { path: 'rootfs', readonly: true });
  // pid: host and net: host share PID 1's; mount, ipc and uts are its own.
  t.deepEqual(spec.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'uts']);
  t.is(spec.linux.cgroupsPath, '/services.linuxkit/getty');
  t.is(spec.annotations?.['io.containerd.runc.v2.group'], 'services');
  t.true(spec.process.capabilities.effective.includes('CAP_SYS_ADMIN'), 'privileged: every capability');
  t.true(spec.mounts.some((m) => m.destination === '/dev' && m.source === '/dev'));
  t.deepEqual(spec.process.args, ['/usr/local/bin/getty-loop']);
});

test("LinuxKit's capabilities meaning: onlyCapabilities makes the list the whole set; ipc and uts may be the host's", (t) => {
  const rngd = { name: 'rngd', command: ['/usr/sbin/rngd'], capabilities: ['CAP_SYS_ADMIN'], onlyCapabilities: true, ipc: 'new' as const, uts: 'host' as const };
  const spec = containerSpec(rngd, { namespace: 'services.linuxkit' }) as Spec;
  t.deepEqual(spec.process.capabilities.effective, ['CAP_SYS_ADMIN']);
  t.deepEqual(spec.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid']);
  t.is(spec.hostname, undefined, 'the host UTS namespace keeps its hostname');
  const added = containerSpec({ ...rngd, onlyCapabilities: false }) as Spec;
  t.true(added.process.capabilities.effective.includes('CAP_CHOWN') && added.process.capabilities.effective.includes('CAP_SYS_ADMIN'));
});

test('the generated boot script quotes arguments and carries the settings', (t) => {
  const def = loadDefinition(referenceDefinition);
  const script = bootScript(def, 'x86_64', ['/usr/lib/modules/k/a.ko']);
  t.regex(script, /^READONLY_ROOT=1$/m);
  t.regex(script, /^CONTAINERD_NAMESPACE=services\.linuxkit$/m);
  t.regex(script, /run_onboot dhcp runc run --keep --bundle \/containers\/onboot\/000-dhcp dhcp/);
  t.regex(script, /^services_all\(\) \{\n  start_declared_services\n/m, 'services are started from their declarations');
  t.is(shellQuote("it's"), `'it'\\''s'`);
});
