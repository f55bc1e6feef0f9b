// services-declared on synthetic guest output in the shape declaredScript prints, the one settle
// policy of the cases that wait for services, and how a case that does not apply counts in a run.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLinuxkitFile } from '../../src/cases/linuxkit-file.ts';
import { projectRoot } from '../../src/config/paths.ts';
import { ConfigError } from '../../src/errors.ts';
import { declaredScript, judgeDeclared } from '../../src/cases/checks/services-declared.ts';
import { capabilityBits } from '../../src/util/capabilities.ts';
import { judgeRngSamples, type RngSettings } from '../../src/cases/checks/rng.ts';
import { allDeclaredStarted, settledAfterCs } from '../../src/cases/service-scan.ts';
import type { CaseReport } from '../../src/report/model.ts';
import { runStatus } from '../../src/report/status.ts';

const host = 'pid:[4026531836] net:[4026531840] ipc:[4026531839] uts:[4026531838] mnt:[4026531841]';
const settings = { namespace: 'services.linuxkit' };

/** A declaration as `linuxkit build` writes it (compact JSON, one line). */
function declaration(kind: 'services' | 'onboot', name: string, spec: { namespaces: string[]; caps: string[]; readonly?: boolean }): string[] {
  const json = JSON.stringify({
    ociVersion: '1.0.2',
    process: { args: ['/bin/x'], capabilities: { bounding: spec.caps, effective: spec.caps, permitted: spec.caps } },
    root: { path: 'rootfs', readonly: spec.readonly ?? true },
    linux: { namespaces: spec.namespaces.map((type) => ({ type })) },
  });
  return [`decl=${kind} ${name}`, `jsonl=${kind} ${name} ${json}`];
}

const mask = (caps: string[]) => caps.reduce((m, c) => m | (1n << BigInt(capabilityBits.indexOf(c))), 0n).toString(16).padStart(16, '0');
const all = mask(capabilityBits as string[]);

// LinuxKit's getty: pid, net, ipc, uts of the host, every capability; its rngd: CAP_SYS_ADMIN alone,
// its own pid, net, ipc (uts of the host), read-only root.
const getty = declaration('services', 'getty', { namespaces: ['mount'], caps: [...capabilityBits] });
const rngd = declaration('services', 'rngd', { namespaces: ['mount', 'pid', 'network', 'ipc'], caps: ['CAP_SYS_ADMIN'] });
const dhcpcd = declaration('onboot', '000-dhcpcd', { namespaces: ['mount'], caps: ['CAP_NET_ADMIN'] });
const gettyRunning = ['task=services.linuxkit getty 230 S 600', `svcns=getty ${host.replace('mnt:[4026531841]', 'mnt:[4026532100]')}`, `svccap=getty ${all}`, 'svcroot=getty ro,relatime'];
const rngdNs = 'pid:[4026532203] net:[4026532205] ipc:[4026532202] uts:[4026531838] mnt:[4026532201]';
const rngdRunning = (cap = mask(['CAP_SYS_ADMIN']), ns = rngdNs, root = 'ro,relatime') => ['task=services.linuxkit rngd 251 S 700', `svcns=rngd ${ns}`, `svccap=rngd ${cap}`, `svcroot=rngd ${root}`];
const onbootRan = ['onbootlog=000-dhcpcd /var/log/onboot.dhcpcd.log'];
const out = (...parts: string[][]) => ['task_uptime=30.00', `hostns=${host}`, ...parts.flat()].join('\n');

test('services-declared: LinuxKit-shaped services running as declared pass, and the onboot container ran', (t) => {
  const verdict = judgeDeclared(out(getty, rngd, dhcpcd, gettyRunning, rngdRunning(), onbootRan), settings);
  t.true(verdict.passed, verdict.message);
  t.is(verdict.message, 'every declared service runs as its spec says (namespaces, capabilities, read-only root): getty (pid 230), rngd (pid 251); onboot 000-dhcpcd ran');
});

test('services-declared: a declared service that is not running fails with its name, task status and last log line', (t) => {
  const stopped = ['task=services.linuxkit rngd 251 gone', 'tasklog=rngd 2026/12/04 No random source available'];
  const verdict = judgeDeclared(out(getty, rngd, gettyRunning, stopped), settings);
  t.false(verdict.passed);
  t.false(verdict.waiting, 'a stopped task is final: LinuxKit does not restart services');
  t.is(verdict.message, 'service rngd is declared and not running: task STOPPED (pid 251 has exited); its last log line: "2026/12/04 No random source available"');
});

test('services-declared: more capabilities or fewer namespaces than declared fail, naming the difference', (t) => {
  // Run with --privileged by ctr: every capability, and its own UTS namespace where the spec shares the host's.
  const privileged = judgeDeclared(out(rngd, rngdRunning(all, rngdNs.replace('uts:[4026531838]', 'uts:[4026532204]'))), settings);
  t.false(privileged.passed);
  t.regex(privileged.message, /^service rngd \(pid 251\) has its own uts namespace uts:\[4026532204\] where its spec shares PID 1's uts:\[4026531838\], has capabilities beyond its spec: CAP_CHOWN, CAP_DAC_OVERRIDE, .*CAP_SYS_MODULE/);
  t.notRegex(privileged.message, /CAP_SYS_ADMIN,/);
  // Sharing the host's network where the spec says new.
  const shared = judgeDeclared(out(rngd, rngdRunning(undefined, rngdNs.replace('net:[4026532205]', 'net:[4026531840]'))), settings);
  t.regex(shared.message, /shares PID 1's net namespace net:\[4026531840\] where its spec says new \(fewer namespaces than declared\)/);
  const writable = judgeDeclared(out(rngd, rngdRunning(undefined, undefined, 'rw,relatime')), settings);
  t.regex(writable.message, /has a writable root \(rw,relatime\) where its spec says read-only/);
});

test('services-declared: an onboot container with no log and no runc record fails; a service without a task yet is waited for', (t) => {
  t.regex(judgeDeclared(out(dhcpcd), settings).message, /onboot 000-dhcpcd is declared but shows no sign of having run/);
  const early = judgeDeclared(out(getty, rngd, gettyRunning), settings);
  t.true(early.waiting);
  t.regex(early.message, /service rngd is declared but has no task in containerd's services\.linuxkit namespace/);
});

test('services-declared: no declarations means the case does not apply; bad JSON and forged lines do not pass', (t) => {
  const none = judgeDeclared(out(gettyRunning), settings);
  t.true(none.notApplicable);
  t.regex(none.message, /the image declares no services/);
  t.regex(judgeDeclared(out(['decl=services x', 'jsonl=services x {not json']), settings).message, /service x: its config\.json is not JSON/);
  // A task line for another namespace, or a malformed one, is not the service's task.
  t.true(judgeDeclared(out(rngd, ['task=other rngd 251 S 700', 'task=services.linuxkit rngd; 251 S']), settings).waiting);
});

test('services-declared: the script reads only declarations, the runtime state and /proc of the namespace asked (sanitised)', (t) => {
  const script = declaredScript({ namespace: 'services.linuxkit;reboot' });
  t.regex(script, /\[ "\$ns" = services\.linuxkitreboot \]/);
  t.notRegex(script, /;reboot/);
  t.notRegex(script, /\bctr\b|\brunc\b run/);
});

test('one settle policy: waiting for services ends once every declared service has run for a while or exited', (t) => {
  const base = ['task_uptime=30.00', 'decl=services getty', 'decl=services rngd'];
  t.false(allDeclaredStarted([...base, 'task=services.linuxkit getty 230 S 600'].join('\n')), 'rngd has no task yet');
  t.false(allDeclaredStarted([...base, 'task=services.linuxkit getty 230 S 600', `task=services.linuxkit rngd 251 S ${3000 - settledAfterCs + 1}`].join('\n')), 'rngd only just started');
  t.true(allDeclaredStarted([...base, 'task=services.linuxkit getty 230 S 600', `task=services.linuxkit rngd 251 S ${3000 - settledAfterCs}`].join('\n')));
  t.true(allDeclaredStarted([...base, 'task=services.linuxkit getty 230 S 600', 'task=services.linuxkit rngd 251 gone'].join('\n')), 'an exited one is started too');
  t.false(allDeclaredStarted('task=services.linuxkit getty 230 S 600'), 'no declarations: the settle window stands');
});

test('rng: with every declared service started and nothing feeding the kernel, the verdict is final at once', (t) => {
  const rngSettings: RngSettings = { hwrng: /virtio_rng/, sources: ['/dev/hwrng'], feeds: ['/dev/random'], processNames: ['rngd'], sampleGapMs: 3000 };
  const sample = ['sampled_from=30.00', 'rng_current=virtio_rng.0', 'crng=dmesg', 'source=/dev/hwrng a:b7', 'task_uptime=30.00', 'task=services.linuxkit getty 230 S 600', 'decl=services getty', 'sampled_to=30.20'].join('\n');
  const verdict = judgeRngSamples([sample], rngSettings);
  t.true(verdict.final);
  t.regex(verdict.message, /no process named rngd runs; every declared service has been started, so none is left to come$/);
  t.false(judgeRngSamples([sample.replace('decl=services getty', '')], rngSettings).final, 'without declarations the settle window stands');
});

test('a case that does not apply is skipped without failing the run; a run of only such cases does not pass', (t) => {
  const c = (id: string, status: CaseReport['status'], notApplicable?: true): CaseReport => ({ id, title: id, status, durationMs: 0, message: '', evidence: '', ...(notApplicable ? { notApplicable } : {}) });
  t.is(runStatus([c('boot', 'passed'), c('services-declared', 'skipped', true)]), 'passed');
  t.is(runStatus([c('boot', 'passed'), c('services-declared', 'skipped')]), 'failed');
  t.is(runStatus([c('services-declared', 'skipped', true)]), 'failed');
});

// ---- --linuxkit FILE: the linuxkit.yml that built the image, read on the host ----

const fixture = join(projectRoot, 'test', 'fixtures', 'linuxkit', 'linuxkit.yml');

test('linuxkit.yml: onboot containers by NNN-NAME, services by name, and only what the file itself sets', (t) => {
  const file = loadLinuxkitFile(fixture);
  t.deepEqual(file.declarations.map((d) => `${d.kind}/${d.name}`), ['onboot/000-dhcpcd', 'services/getty', 'services/rngd']);
  const rngdDecl = file.declarations.find((d) => d.name === 'rngd')!;
  t.deepEqual(rngdDecl.capabilities, ['CAP_SYS_ADMIN']);
  t.deepEqual(rngdDecl.namespaces, {});
  t.is(file.declarations.find((d) => d.name === 'getty')!.capabilities, undefined, 'not set: the image label (its config.json) decides');
});

test('linuxkit.yml: all, none, capabilities.add and namespace words as LinuxKit reads them; bad input names file:line and field', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-lk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const write = (text: string) => {
    const f = join(dir, `${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(f, text);
    return f;
  };
  const file = loadLinuxkitFile(write('services:\n  - name: a\n    image: x\n    capabilities: [all]\n    net: host\n    pid: new\n    uts: /run/ns/uts\n    readonly: true\n  - name: b\n    image: y\n    capabilities: [none]\n    capabilities.add: [CAP_NET_RAW]\n    ipc: none\n'));
  const [a, b] = file.declarations;
  t.is(a!.capabilities!.length, capabilityBits.length);
  t.deepEqual(a!.namespaces, { net: 'host', pid: 'new', uts: 'path' });
  t.true(a!.readonly);
  t.deepEqual(b!.capabilities, ['CAP_NET_RAW']);
  t.deepEqual(b!.namespaces, { ipc: 'new' });
  t.throws(() => loadLinuxkitFile(write('services:\n  - name: a\n    image: x\n  - image: y\n')), { instanceOf: ConfigError, message: /\.yml:4: missing required key "services\.1\.name"/ });
  t.throws(() => loadLinuxkitFile(write('services:\n  - name: a\n    image: x\n  - name: a\n    image: y\n')), { instanceOf: ConfigError, message: /\.yml:4: services\[1\]\.name: a second service named "a"/ });
  t.throws(() => loadLinuxkitFile(write('onboot:\n  - name: "a b"\n    image: x\n')), { instanceOf: ConfigError, message: /\.yml:2: onboot\.0\.name must match pattern/ });
  t.throws(() => loadLinuxkitFile(join(dir, 'missing.yml')), { instanceOf: ConfigError, message: /missing\.yml: cannot read: ENOENT/ });
});

test('services-declared with --linuxkit: the file is the list; what it sets is laid over the image\'s config.json', (t) => {
  const linuxkit = loadLinuxkitFile(fixture);
  const withFile = { ...settings, linuxkit };
  const good = judgeDeclared(out(getty, rngd, dhcpcd, gettyRunning, rngdRunning(), onbootRan), withFile);
  t.true(good.passed, good.message);
  t.regex(good.message, /^every service declared in test\/fixtures\/linuxkit\/linuxkit\.yml runs as its spec says .*: getty \(pid 230\), rngd \(pid 251\); onboot 000-dhcpcd ran$/);

  // An image that dropped a service's declaration cannot hide it: the file still lists it, and it is not waited for.
  const dropped = judgeDeclared(out(getty, dhcpcd, gettyRunning, onbootRan), withFile);
  t.false(dropped.passed);
  t.false(dropped.waiting);
  t.regex(dropped.message, /^service rngd is declared in test\/fixtures\/linuxkit\/linuxkit\.yml but has no task in containerd's services\.linuxkit namespace \(the image has no \/containers\/services\/rngd\/config\.json\)$/);

  // A declaration the file does not have: the image was not built from it.
  const extra = declaration('services', 'sshd', { namespaces: ['mount'], caps: [] });
  t.regex(judgeDeclared(out(getty, rngd, dhcpcd, extra, gettyRunning, rngdRunning(), onbootRan), withFile).message, /^service sshd is declared in the image \(\/containers\/services\/sshd\/config\.json\) but not in test\/fixtures\/linuxkit\/linuxkit\.yml$/);

  // The image's config.json grants more than the file sets: the file wins, as in `linuxkit build`.
  const generous = declaration('services', 'rngd', { namespaces: ['mount', 'pid', 'network', 'ipc'], caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] });
  const verdict = judgeDeclared(out(getty, generous, dhcpcd, gettyRunning, rngdRunning(mask(['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'])), onbootRan), withFile);
  t.regex(verdict.message, /^service rngd \(pid 251\) has capabilities beyond its spec: CAP_NET_ADMIN$/);

  // Without a config.json in the image, the file's own settings are checked (here: net: host).
  const fileOnly = { ...settings, linuxkit: { file: 'lk.yml', declarations: [{ kind: 'services' as const, name: 'rngd', namespaces: { net: 'host' as const } }] } };
  t.regex(judgeDeclared(out(rngdRunning()), fileOnly).message, /^service rngd \(pid 251\) has its own net namespace net:\[4026532205\] where its spec shares PID 1's net:\[4026531840\]$/);
});
