import test from 'ava';
import { loadTargets } from '../../src/config/targets.ts';
import { qemuBinaryProblem, qemuSettingProblems, splitOptionValue } from '../../src/config/qemu-safety.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { sampleReport } from '../fixtures/reports/sample.ts';

const problems = (extraArgs: string[], models: Record<string, string> = {}) => qemuSettingProblems({ extraArgs, ...models }).map((p) => p.text);

test('every shipped target keeps the promises without qemu.unsafe', (t) => {
  for (const target of loadTargets()) {
    t.is(target.qemu.unsafe, undefined, target.name);
    t.deepEqual(qemuSettingProblems(target.qemu), [], target.name);
  }
});

test('option values split at single commas, doubled ones being commas', (t) => {
  t.deepEqual(splitOptionValue('a,,b,c=d,,,e'), ['a,b', 'c=d,', 'e']);
});

const refused: [string, string[], RegExp][] = [
  ['a second network', ['-netdev', 'user,id=n1,hostfwd=tcp::2222-:22'], /qemu\.extraArgs\[0\] "-netdev" adds a network/],
  ['a NIC with its own network', ['-nic', 'user'], /"-nic" adds a network/],
  ['an old-style network', ['--net', 'user,guestfwd=tcp:10.0.2.100:80-cmd:sh'], /"--net" adds a network/],
  ['a writable drive', ['-drive', 'file=/var/lib/img.raw,if=virtio'], /qemu\.extraArgs\[0\] "-drive" "file=\/var\/lib\/img\.raw,if=virtio" attaches a drive without readonly=on/],
  ['a drive made read-only only inside a file name', ['-drive', 'file=/x,,readonly=on'], /without readonly=on/],
  ['a read-only drive over the network', ['-drive', 'file=nbd://10.0.0.1/x,readonly=on'], /is not a plain local file/],
  ['a block device', ['-blockdev', 'driver=file,filename=/x,node-name=d'], /"-blockdev" attaches storage/],
  ['a host socket', ['-chardev', 'socket,id=c,path=/tmp/s'], /"-chardev" connects the guest or QEMU to a host file, socket or terminal/],
  ['a serial port on a host port', ['-serial', 'tcp::4444,server=on'], /"-serial" connects/],
  ['a host folder shared with the guest', ['-virtfs', 'local,path=/,mount_tag=host'], /"-virtfs" hands the guest or QEMU a host file, folder, device or socket/],
  ['an object', ['-object', 'memory-backend-file,id=m,mem-path=/etc/shadow'], /"-object" hands/],
  ['a QEMU log file', ['-D', '/etc/cron.d/x'], /"-D" writes host files/],
  ['a host USB device', ['-device', 'usb-host,hostbus=1,hostaddr=2'], /uses device usb-host, which reaches the host by itself/],
  ['a vsock to the host', ['-device', 'vhost-vsock-pci,guest-cid=3'], /uses device vhost-vsock-pci/],
  ['a host file as option ROM', ['-device', 'virtio-net-pci,romfile=/root/.ssh/id_rsa'], /sets romfile=, which names a host file/],
  ['a host folder over MTP', ['-device', 'driver=usb-mtp,rootdir=/'], /uses device usb-mtp/],
  ['a host file loaded into memory', ['-device', 'loader,file=/etc/shadow,addr=0x1000'], /uses device loader/],
  ['a global romfile', ['-global', 'virtio-net-pci.romfile=/etc/shadow'], /"-global" "virtio-net-pci\.romfile=\/etc\/shadow" sets romfile=/],
  ['a machine writing its device tree to the host', ['-machine', 'dumpdtb=/etc/passwd'], /sets dumpdtb=/],
  ['a stray value', ['user,hostfwd=tcp::22-:22'], /is not an option \(each option and its value are separate items\)/],
  ['an option with its value missing', ['-device'], /"-device" has no value/],
  ['an unknown option', ['-frobnicate'], /"-frobnicate" is not one of the options that only shape the machine/],
];
for (const [what, args, message] of refused) {
  test(`extraArgs with ${what} are refused`, (t) => {
    const found = problems(args);
    t.true(found.some((p) => message.test(p)), found.join('\n') || 'no problem found');
  });
}

test('extraArgs that only shape the machine are accepted', (t) => {
  t.deepEqual(problems(['-device', 'virtio-balloon-pci', '-global', 'virtio-pci.disable-legacy=on', '-machine', 'gic-version=3', '-M', 'highmem=off', '-cpu', 'max,sve=off', '-smp', '2', '-rtc', 'base=utc', '-no-hpet', '-drive', 'file=/srv/extra.img,if=virtio,format=raw,readonly=on']), []);
});

test('device and machine fields must be a model name alone', (t) => {
  t.deepEqual(problems([], { nic: 'virtio-net-pci,netdev=host0' }), ['qemu.nic "virtio-net-pci,netdev=host0" must be a model name alone: options (",netdev=", ",romfile=", ...) could connect the guest to the host']);
  t.is(problems([], { disk: 'virtio-blk-pci,drive=x' }).length, 1);
  t.is(problems([], { rng: 'virtio-rng-pci,rng=egd0' }).length, 1);
  t.is(problems([], { machine: 'virt,dumpdtb=/x' }).length, 1);
  t.deepEqual(problems([], { nic: 'e1000', disk: 'virtio-blk-ccw', scsi: 'virtio-scsi-pci', panicDevice: 'pvpanic-pci', machine: 's390-ccw-virtio' }), []);
});

test('qemu.binary is a QEMU system emulator name, or the absolute path of one', (t) => {
  for (const good of ['qemu-system-x86_64', 'qemu-system-aarch64', 'qemu-system-ppc64', '/opt/qemu-9.1/bin/qemu-system-x86_64']) t.is(qemuBinaryProblem(good), undefined, good);
  for (const bad of ['/bin/sh', 'sh', '../x', './qemu-system-x86_64', 'bin/qemu-system-x86_64', 'qemu-system-x86_64 -foo', 'qemu-system-x86_64;id', '/opt/../bin/qemu-system-x86_64', '/opt/./qemu-system-x86_64', '/opt//qemu-system-x86_64', 'qemu-img', 'QEMU-SYSTEM-X86_64', '']) {
    t.regex(qemuBinaryProblem(bad) ?? '', /^qemu\.binary ".*" is not a QEMU system emulator/, bad);
  }
});

test('a QEMU build of its own needs qemu.unsafe; an emulator on PATH does not', (t) => {
  t.deepEqual(qemuSettingProblems({ extraArgs: [], binary: 'qemu-system-s390x' }), []);
  t.deepEqual(qemuSettingProblems({ extraArgs: [], binary: '/opt/qemu/bin/qemu-system-s390x' }), [
    { path: ['qemu', 'binary'], text: 'qemu.binary "/opt/qemu/bin/qemu-system-s390x" is a QEMU build of its own, whose restricted network and read-only drives kittest cannot vouch for' },
  ]);
});

test('a run on a target with unsafe QEMU settings says so in the JUnit report', (t) => {
  const report = structuredClone(sampleReport());
  report.runs[0]!.qemu.unsafe = 'host forward for a debugging session';
  t.regex(renderJunit(report), /<property name="qemu\.unsafe" value="host forward for a debugging session"\/>/);
});
