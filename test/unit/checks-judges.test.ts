import test from 'ava';
import { serverVersion } from '../../src/cases/checks/containerd.ts';
import { hexToIp, judgeDhcp } from '../../src/cases/checks/dhcp.ts';
import { judgeRng } from '../../src/cases/checks/rng.ts';
import { judgeRootfs } from '../../src/cases/checks/rootfs-immutable.ts';
import { judgeRunc } from '../../src/cases/checks/runc.ts';
import { judgeIsolation } from '../../src/cases/checks/services-isolated.ts';
import { decideHostContext } from '../../src/cases/host-context.ts';

const dhcpSettings = { interface: 'eth0', address: '10.0.2.15/24', gateway: '10.0.2.2', routeRequired: false, clientNames: ['udhcpc', 'dhcpcd'] };
const leased = [
  'addr: 2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast qlen 1000',
  'addr:     inet 10.0.2.15/24 scope global dynamic eth0',
  'addr:        valid_lft 86391sec preferred_lft 86391sec',
  'route: default via 10.0.2.2 dev eth0',
  'route: 10.0.2.0/24 dev eth0 scope link  src 10.0.2.15',
].join('\n');

test('containerd: the server version is read from the Server section only', (t) => {
  const out = 'version: Client:\nversion:   Version:  1.7.24\nversion: \nversion: Server:\nversion:   Version:  1.7.24~ds1\nversion:   UUID: x';
  t.is(serverVersion(out), '1.7.24~ds1');
  t.is(serverVersion('version: Client:\nversion:   Version:  1.7.24\nversion: ctr: failed to dial'), undefined);
});

test('dhcp: a dynamic 10.0.2.15/24 with the default route via 10.0.2.2 passes', (t) => {
  const verdict = judgeDhcp(leased, dhcpSettings);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.message, /leased \(dynamic\) address/);
});

test('dhcp: no address fails and says what was expected', (t) => {
  const verdict = judgeDhcp('addr: 2: eth0: <BROADCAST,MULTICAST> mtu 1500\nroute: ', dhcpSettings);
  t.false(verdict.passed);
  t.regex(verdict.message, /eth0 has no IPv4 address; expected the DHCP lease 10\.0\.2\.15\/24/);
});

test('dhcp: a static address with no client, lease or container is not taken for a lease', (t) => {
  const verdict = judgeDhcp(leased.replace(' dynamic', '').replace(/valid_lft \d+sec/, 'valid_lft forever'), dhcpSettings);
  t.false(verdict.passed);
  t.regex(verdict.message, /nothing shows a DHCP client/);
});

test('dhcp: the default route can be read from /proc/net/route when ip shows none', (t) => {
  const out = `${leased.split('\n').slice(0, 3).join('\n')}\nproute: eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000`;
  t.true(judgeDhcp(out, dhcpSettings).passed);
  t.is(hexToIp('0202000A'), '10.0.2.2');
});

test('dhcp: no default route passes on a restricted network, fails where one is required', (t) => {
  const noRoute = leased.split('\n').filter((l) => !l.includes('default')).join('\n');
  t.true(judgeDhcp(noRoute, dhcpSettings).passed);
  t.regex(judgeDhcp(noRoute, { ...dhcpSettings, routeRequired: true }).message, /default route is not via 10\.0\.2\.2 \(default: none\)/);
});

test('dhcp: a wrong default route fails', (t) => {
  const verdict = judgeDhcp(leased.replace('default via 10.0.2.2', 'default via 10.0.2.9'), dhcpSettings);
  t.false(verdict.passed);
  t.regex(verdict.message, /default route is not via 10\.0\.2\.2/);
});

const rngOk = 'rng_current=virtio_rng.0\nrng_available=virtio_rng.0\ncrng=dmesg\nservice=312 rngd mnt:[4026532200] pid:[4026532201] containerd-shim';

test('rng: virtio_rng bound, crng ready and rngd running passes', (t) => {
  t.true(judgeRng(rngOk, /virtio_rng/, ['rngd']).passed);
});

test('rng: each missing part fails with its reason', (t) => {
  t.regex(judgeRng(rngOk.replace('rng_current=virtio_rng.0', 'rng_current=none'), /virtio_rng/, ['rngd']).message, /rng_current is "none"/);
  t.regex(judgeRng(rngOk.replace('crng=dmesg\n', ''), /virtio_rng/, ['rngd']).message, /not initialised/);
  t.regex(judgeRng(rngOk.replace(/service=.*/, ''), /virtio_rng/, ['rngd']).message, /no RNG service is running/);
});

test('rootfs: a read-only root where writes fail with EROFS passes and lists writable mounts', (t) => {
  const out = 'root=rootfs rw\nroot=tmpfs ro,relatime\nrw_mount=/run tmpfs\nwrite=/ failed touch: /.kittest-1: Read-only file system\nwrite=/etc failed touch: /etc/.kittest-1: Read-only file system';
  const verdict = judgeRootfs(out);
  t.true(verdict.passed, verdict.message);
  t.deepEqual(verdict.writableMounts, ['/run tmpfs']);
});

test('rootfs: a writable root fails, and so does a write that fails for another reason', (t) => {
  t.regex(judgeRootfs('root=tmpfs rw,relatime\nwrite=/ succeeded').message, /mounted read-write/);
  t.regex(judgeRootfs('root=ext4 ro\nwrite=/ succeeded').message, /creating a file in \/ succeeded/);
  t.regex(judgeRootfs('root=ext4 ro\nwrite=/ failed touch: /x: Permission denied').message, /not with EROFS/);
});

test('runc: the nonce assembled in the container and exit 0 pass; anything else fails', (t) => {
  t.true(judgeRunc('runc_version=runc version 1.1.15\nrc=0\nout: aaa-bbb', 'aaa-bbb').passed);
  t.regex(judgeRunc('rc=1\nout: container_linux.go: pivot_root .: invalid argument', 'aaa-bbb').message, /status 1: container_linux.go: pivot_root/);
  t.regex(judgeRunc('rc=0\nout: aaa bbb', 'aaa-bbb').message, /did not print the nonce/);
  t.regex(judgeRunc('runc=missing', 'aaa-bbb').message, /not installed/);
});

test('services-isolated: services in other mount namespaces under a shim pass', (t) => {
  const out = 'host_mnt=mnt:[1]\nhost_pid=pid:[1]\nrng=300 rngd mnt:[7] pid:[8] containerd-shim\ncontainer=runc:/run/runc dhcpcd 0 stopped';
  const verdict = judgeIsolation(out);
  t.true(verdict.passed, verdict.message);
  t.regex(verdict.message, /DHCP client exited; it ran as container/);
});

test("services-isolated: a service in PID 1's mount namespace fails", (t) => {
  const verdict = judgeIsolation('host_mnt=mnt:[1]\nhost_pid=pid:[1]\nrng=300 rngd mnt:[1] pid:[1] init');
  t.false(verdict.passed);
  t.regex(verdict.message, /rngd \(pid 300\) runs in PID 1's mount namespace/);
});

test('services-isolated: unshare -m alone is not a container', (t) => {
  const verdict = judgeIsolation('host_mnt=mnt:[1]\nhost_pid=pid:[1]\nrng=300 rngd mnt:[5] pid:[1] sh>unshare');
  t.false(verdict.passed);
  t.regex(verdict.message, /not started by a container runtime/);
});

test('the host context goes through nsenter only when the shell is in other namespaces', (t) => {
  const same = 'self_mnt=mnt:[1]\ninit_mnt=mnt:[1]\nself_pid=pid:[2]\ninit_pid=pid:[2]\nself_net=net:[3]\ninit_net=net:[3]\nnsenter=yes';
  t.is(decideHostContext(same).via, '');
  t.is(decideHostContext(same.replace('self_mnt=mnt:[1]', 'self_mnt=mnt:[9]')).via, 'nsenter -t 1 -m -n -p --');
});
