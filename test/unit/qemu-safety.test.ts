import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTargets } from '../../src/config/targets.ts';
import { firmwareProblems, qemuBinaryProblem, qemuSettingProblems, splitOptionValue } from '../../src/config/qemu-safety.ts';
import { renderJunit } from '../../src/report/junit.ts';
import { sampleReport } from '../fixtures/reports/sample.ts';

const problems = (extraArgs: string[], models: Record<string, string> = {}) => qemuSettingProblems({ extraArgs, ...models }).map((p) => p.text);

test('every shipped target keeps the promises without qemu.unsafe', (t) => {
  for (const target of loadTargets()) {
    t.is(target.qemu.unsafe, undefined, target.name);
    t.deepEqual(qemuSettingProblems(target.qemu), [], target.name);
    t.deepEqual(firmwareProblems(target), [], target.name);
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
  ['a host file loaded into memory, written as JSON', ['-device', '{"driver":"loader","file":"/etc/shadow","addr":4096}'], /"-device" "\{.*\}" uses device loader/],
  ['a host PCI device with a ROM, written as JSON', ['-device', '{"driver":"vfio-pci","host":"0000:01:00.0","romfile":"/root/rom"}'], /uses device vfio-pci/],
  ['a host file as option ROM, written as JSON', ['-device', ' {"driver":"virtio-net-pci","romfile":"/etc/shadow"}'], /sets romfile=/],
  ['a JSON key spelt with an escape', ['-device', '{"driver":"virtio-net-pci","romfil\\u0065":"/etc/shadow"}'], /sets romfile=/],
  ['JSON that kittest cannot read', ['-device', "{'driver':'loader','file':'/etc/shadow'}"], /is not JSON that kittest can read/],
  ['nested JSON', ['-device', '{"driver":"virtio-net-pci","x":{"romfile":"/etc/shadow"}}'], /has a nested JSON value/],
  ['a JSON -machine', ['-machine', '{"type":"pc","dumpdtb":"/etc/passwd"}'], /is in JSON form, which kittest reads only for -device/],
  ['a JSON value of a shaping option', ['-smp', '{"cpus":2}'], /"-smp" "\{\\"cpus\\":2\}" is in JSON form/],
  ['a JSON drive', ['-drive', '{"file":"/etc/shadow","readonly":true}'], /is in JSON form/],
  ['a host block device as drive', ['-drive', 'file=/dev/sda,readonly=on'], /names \/dev\/sda, under the host folder \/dev/],
  ['a secret key as drive', ['-drive', 'file=/root/.ssh/id_rsa,readonly=on'], /under the host folder \/root/],
  ['a home file as drive', ['-drive', 'file=/home/x/disk.img,readonly=on'], /under the host folder \/home/],
  ['a system file reached through ..', ['-drive', 'file=/srv/../etc/shadow,readonly=on'], /not an absolute, plain path/],
  ['a relative drive path', ['-drive', 'file=disk.img,readonly=on'], /not an absolute, plain path/],
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

test('a drive is a regular file, wherever its symbolic links lead', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-drive-'));
  try {
    symlinkSync('/etc/passwd', join(dir, 'link.img'));
    t.regex(problems(['-drive', `file=${join(dir, 'link.img')},readonly=on`]).join(), /names \/etc\/passwd, under the host folder \/etc/);
    mkdirSync(join(dir, 'folder.img'));
    t.regex(problems(['-drive', `file=${join(dir, 'folder.img')},readonly=on`]).join(), /is not a regular file/);
    writeFileSync(join(dir, 'disk.img'), '');
    t.deepEqual(problems(['-drive', `file=${join(dir, 'disk.img')},readonly=on`]), []);
    // A link to a device is judged by where it leads.
    symlinkSync('/dev/null', join(dir, 'null.img'));
    t.regex(problems(['-drive', `file=${join(dir, 'null.img')},readonly=on`]).join(), /under the host folder \/dev/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('firmware paths must be files of the Debian firmware packages', (t) => {
  const of = (qemu: { firmware?: string }, efi?: { code: string; vars: string }) => firmwareProblems({ qemu, efi }).map((p) => `${p.path.join('.')}: ${p.text}`);
  t.deepEqual(of({ firmware: '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf' }, { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/AAVMF/AAVMF_VARS.fd' }), []);
  t.deepEqual(of({ firmware: '/etc/shadow' }), ['qemu.firmware: qemu.firmware "/etc/shadow" is not a file of the Debian firmware packages (under /usr/share/OVMF, /usr/share/ovmf, /usr/share/AAVMF, /usr/share/qemu-efi-aarch64, /usr/share/qemu-efi-riscv64, /usr/share/qemu, /usr/share/seabios, /usr/lib/riscv64-linux-gnu/opensbi, /usr/lib/u-boot)']);
  t.regex(of({}, { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/root/.ssh/id_rsa' }).join(), /^efi\.vars: efi\.vars "\/root\/\.ssh\/id_rsa" is not a file of the Debian firmware packages/);
  t.regex(of({}, { code: '/usr/share/OVMF/../../../etc/shadow', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' }).join(), /efi\.code .* is not an absolute, plain path/);
  t.regex(of({ firmware: '/usr/share/qemu' }).join(), /is not a file of the Debian firmware packages/);
});
