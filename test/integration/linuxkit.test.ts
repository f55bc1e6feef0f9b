// LinuxKit's own components, as a judge can see them: the LinuxKit-shaped image (images/linuxkit.yml:
// config.json declarations, dhcpcd one-shot, agetty autologin, an RNG service that feeds the kernel
// pool through /dev/random and never opens /dev/hwrng) passes every case on every target, and its
// broken variants get their verdicts with a reason.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureImage } from '../../src/images/builder.ts';
import { imagesDir, projectRoot } from '../../src/config/paths.ts';
import type { Report, RunReport } from '../../src/report/model.ts';
import { kittest } from '../helpers/cli.ts';
import { brokenImage } from '../helpers/images.ts';
import { limiter } from '../helpers/limit.ts';
import { expectVerdicts } from '../helpers/verdicts.ts';

const two = limiter(2);
const arches = ['x86_64', 'arm64', 's390x', 'ppc64le', 'riscv64'];

async function run(prefix: string, arch: string, extra: string[] = []): Promise<{ exitCode: number | undefined; run: RunReport }> {
  const json = join(mkdtempSync(join(tmpdir(), 'kt-linuxkit-')), 'r.json');
  const r = await two(() => kittest(['run', '--arch', arch, '--image', prefix, '--json', json, ...extra]));
  return { exitCode: r.exitCode, run: (JSON.parse(readFileSync(json, 'utf8')) as Report).runs[0]! };
}

for (const arch of arches) {
  test(`the LinuxKit-shaped image passes every case on ${arch}`, async (t) => {
    const { prefix } = await ensureImage(join(imagesDir, 'linuxkit.yml'), arch);
    const { exitCode, run: r } = await run(prefix, arch);
    expectVerdicts(t, r, {});
    t.is(exitCode, 0);
    const rng = r.cases.find((c) => c.id === 'rng')!;
    t.regex(rng.message, /feeds the kernel pool through \/dev\/random \(1:8\) \(fd \d+\) in a container/);
    t.regex(r.cases.find((c) => c.id === 'services-declared')!.message, /getty \(pid \d+\), rngd \(pid \d+\); onboot 000-dhcpcd ran/);
  });
}

test('a pool-feeding RNG service (jitterentropy-rngd) passes rng on a reference-shaped image too', async (t) => {
  const { exitCode, run: r } = await run(await brokenImage('pool-rngd'), 'x86_64');
  expectVerdicts(t, r, {});
  t.is(exitCode, 0);
});

for (const arch of ['x86_64', 'arm64']) {
  test(`an rngd that exits at start fails rng on ${arch}, quoting its task status and reason`, async (t) => {
    const { exitCode, run: r } = await run(await brokenImage('linuxkit-rngd-exits', arch), arch);
    t.is(exitCode, 1);
    expectVerdicts(t, r, {
      rng: /the service rngd was started \(containerd task services\.linuxkit\/rngd, pid \d+\) and is gone: task STOPPED, its process has exited; its last log line: ".*No random source available"/,
      'services-isolated': /no service observed/,
      'services-declared': /service rngd is declared and not running: task STOPPED .*No random source available/,
    });
  });
}

test('a declared service that is not running fails services-declared, naming it', async (t) => {
  const { exitCode, run: r } = await run(await brokenImage('linuxkit-service-down'), 'x86_64');
  t.is(exitCode, 1);
  expectVerdicts(t, r, { 'services-declared': /service metrics is declared and not running: task STOPPED .*address already in use/ });
});

test('a service run --privileged where its spec declares CAP_SYS_ADMIN alone fails, naming the extra capabilities', async (t) => {
  const { exitCode, run: r } = await run(await brokenImage('linuxkit-privileged-rngd'), 'x86_64');
  t.is(exitCode, 1);
  expectVerdicts(t, r, { 'services-declared': /service rngd \(pid \d+\) .*has capabilities beyond its spec: CAP_CHOWN, .*CAP_SYS_MODULE/ });
});

test('a DHCP client under another name is found by its socket: on the host it fails services-isolated, in a container it passes', async (t) => {
  const [onHost, contained] = await Promise.all([run(await brokenImage('dhcp-client-on-host'), 'x86_64'), run(await brokenImage('dhcp-daemon-contained'), 'x86_64')]);
  t.is(onHost.exitCode, 1);
  expectVerdicts(t, onHost.run, { 'services-isolated': /^not isolated: netcfg \(pid \d+, DHCP client: holds UDP port 68 \(fd \d+\)\) runs in PID 1's mount namespace/ });
  t.is(contained.exitCode, 0);
  expectVerdicts(t, contained.run, {});
  t.regex(contained.run.cases.find((c) => c.id === 'services-isolated')!.message, /netcfg \(pid \d+, DHCP client: holds UDP port 68 \(fd \d+\)\) own mount and PID namespaces/);
});

test('--linuxkit FILE: the linuxkit.yml of the LinuxKit-shaped image passes services-declared; one listing a service the image lacks fails, naming it', async (t) => {
  const { prefix } = await ensureImage(join(imagesDir, 'linuxkit.yml'), 'x86_64');
  const fixture = join(projectRoot, 'test', 'fixtures', 'linuxkit', 'linuxkit.yml');
  const withSshd = join(mkdtempSync(join(tmpdir(), 'kt-linuxkit-file-')), 'linuxkit.yml');
  // The same file with one more service, placed last in its services list.
  writeFileSync(withSshd, readFileSync(fixture, 'utf8').replace('\nfiles:\n', '\n  - name: sshd\n    image: linuxkit/sshd:v1.0.0\nfiles:\n'));
  const [good, bad] = await Promise.all([run(prefix, 'x86_64', ['--linuxkit', fixture]), run(prefix, 'x86_64', ['--linuxkit', withSshd])]);
  t.is(good.exitCode, 0);
  expectVerdicts(t, good.run, {});
  t.regex(good.run.cases.find((c) => c.id === 'services-declared')!.message, /^every service declared in .*linuxkit\.yml runs as its spec says .*getty \(pid \d+\), rngd \(pid \d+\); onboot 000-dhcpcd ran$/);
  t.is(bad.exitCode, 1);
  expectVerdicts(t, bad.run, { 'services-declared': /^service sshd is declared in .*linuxkit\.yml but has no task in containerd's services\.linuxkit namespace \(the image has no \/containers\/services\/sshd\/config\.json\)$/ });
});
